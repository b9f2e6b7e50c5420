"""The ceiling: the product's web stack (FastAPI on the same uvicorn options) with nothing behind it.

One async route answering a constant JSON body: no auth, no database, no validation. Every figure
the benchmark reports for the API is also shown as a fraction of this one. It is not part of the
product or its contract, so it lives here and is served by `python -m bench.ceiling`.
"""

from __future__ import annotations

from fastapi import FastAPI, Response

# About the size of one task as the API renders it.
BODY = (
    b'{"id":42,"user_id":"Xh7cA9kq2LmN5pRt8vWz1yB3dF6gJ0sE","title":"Buy milk",'
    b'"description":"Two litres, semi-skimmed","completed":false,"completed_at":null,'
    b'"due_at":"2026-12-01T16:00:00Z","priority":"high","tags":["groceries","home"],'
    b'"created_at":"2026-11-24T08:00:00Z","updated_at":"2026-11-24T08:00:00Z"}'
)

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/ceiling")
async def ceiling() -> Response:
    return Response(BODY, media_type="application/json")


if __name__ == "__main__":
    from impl.serve import serve

    serve("bench.ceiling:app")
