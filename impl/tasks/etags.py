"""Entity tags (RFC 9110 section 8.8.3) of tasks and pages, and the conditions that compare them.

The contract's pattern for both headers (its `EntityTagList` anchor) has already refused a malformed
`If-Match` or `If-None-Match` (400) before anything here runs, so this module only reads well-formed lists.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

# One entity tag of a list: weakness and opaque tag (with its quotes).
ENTITY_TAG = re.compile(r'(W/)?("[^"]*")')
# A task's opaque tag exactly as task_etag spells it (no leading zeros: tags compare as strings), the
# digits bounded so that nothing huge is ever parsed.
TASK_TAG = re.compile(r'"([1-9][0-9]{0,18})-([1-9][0-9]{0,9})"')
MAX_VERSION = 2**31 - 1
ANY = "*"


def task_etag(task_id: int, version: int) -> str:
    """Strong: the version changes with every change to the task, so equal tags mean equal bytes."""
    return f'"{task_id}-{version}"'


def page_etag(tasks: Iterable[tuple[int, int]], more: bool) -> str:
    """Strong tag of a page as served: its tasks' ids and versions in order, and whether a next page
    exists. Not the `Link` itself: its cursor is sealed afresh (a new nonce) on every request, while
    what it points after, the last task, is already in the tag."""
    digest = hashlib.blake2b(digest_size=16)
    for task_id, version in tasks:
        digest.update(b"%d-%d," % (task_id, version))
    digest.update(b"more" if more else b"")
    return f'"{digest.hexdigest()}"'


def if_match_versions(if_match: str, task_id: int) -> list[int] | None:
    """The versions of task `task_id` that If-Match accepts; None for `*` (any current version).

    Strong comparison (RFC 9110 section 13.1.1): a weak tag never matches, nor does another task's.
    """
    if if_match.strip() == ANY:
        return None
    versions = []
    for weak, opaque in ENTITY_TAG.findall(if_match):
        parsed = TASK_TAG.fullmatch(opaque)
        if weak or parsed is None or int(parsed[1]) != task_id or int(parsed[2]) > MAX_VERSION:
            continue
        versions.append(int(parsed[2]))
    return versions


def none_match(if_none_match: str, current: str) -> bool:
    """Whether If-None-Match names `current` (weak comparison, section 13.1.2) or is `*`."""
    if if_none_match.strip() == ANY:
        return True
    return any(opaque == current for _weak, opaque in ENTITY_TAG.findall(if_none_match))
