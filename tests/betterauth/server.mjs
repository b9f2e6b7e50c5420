// Test-only Better Auth server: the real `better-auth` package with the jwt
// plugin and the in-memory adapter, so Python tests verify genuine tokens.
// Stdout carries exactly one line, `READY <port>`, the handshake the Python
// side waits for; everything else goes to stderr.
//
// Environment:
//   PORT                 TCP port on 127.0.0.1 (0 or unset: pick a free one)
//   BETTER_AUTH_URL      baseURL, also the JWT `iss`/`aud` (default http://127.0.0.1:<port>)
//   JWT_ALG              EdDSA (default) | ES256 | ES512 | RS256 | PS256
//   BETTER_AUTH_SECRET   cookie/key-encryption secret (32+ chars; test default)
//   TRUSTED_ORIGINS      extra comma-separated origins allowed to call /api/auth
//   JWT_EXPIRES_IN       JWT lifetime, e.g. "15m" (default) or "2s"
//
// Control routes (outside /api/auth, test use only):
//   POST /__test__/rotate          expire the current signing key and mint a new one
//   POST /__test__/drop-old-keys   delete every key except the newest

import http from "node:http";
import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { toNodeHandler } from "better-auth/node";
import { createJwk, jwt } from "better-auth/plugins/jwt";

const DEFAULT_SECRET = "better-auth-test-harness-secret-do-not-use-in-prod";

function buildAuth(baseURL) {
  const alg = process.env.JWT_ALG || "EdDSA";
  // ES512 needs its curve named; the other algs derive everything from `alg`.
  const keyPairConfig = alg === "ES512" ? { alg, crv: "P-521" } : { alg };
  const jwtOptions = {
    jwks: { keyPairConfig },
    jwt: { expirationTime: process.env.JWT_EXPIRES_IN || "15m" },
  };
  const trustedOrigins = (process.env.TRUSTED_ORIGINS || "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  const auth = betterAuth({
    baseURL,
    secret: process.env.BETTER_AUTH_SECRET || DEFAULT_SECRET,
    // The memory adapter does not create tables; every model must exist up front.
    database: memoryAdapter({ user: [], session: [], account: [], verification: [], jwks: [] }),
    emailAndPassword: { enabled: true, requireEmailVerification: false },
    plugins: [jwt(jwtOptions)],
    trustedOrigins,
    // Rate limiting switches on whenever NODE_ENV=production; tests sign up
    // many users from one IP, so keep behaviour independent of NODE_ENV.
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: {
      level: "warn",
      log: (level, message, ...args) => console.error(`[better-auth ${level}] ${message}`, ...args),
    },
  });
  return { auth, jwtOptions };
}

function sendJson(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

// Rotation goes through the same adapter API and `createJwk` the plugin uses:
// an expired key is exactly what `jwks.rotationInterval` produces over time,
// so signing skips it while /jwks keeps publishing it for the grace period.
async function rotate(auth, jwtOptions) {
  const ctx = await auth.$context;
  const past = new Date(Date.now() - 1);
  for (const key of await ctx.adapter.findMany({ model: "jwks" })) {
    if (!key.expiresAt || key.expiresAt > past) {
      await ctx.adapter.update({
        model: "jwks",
        where: [{ field: "id", value: key.id }],
        update: { expiresAt: past },
      });
    }
  }
  // Minting now (rather than lazily at the next sign) publishes the new key
  // in /jwks before any token carrying its kid exists.
  const created = await createJwk({ context: ctx }, jwtOptions);
  return created.id;
}

async function dropOldKeys(auth) {
  const ctx = await auth.$context;
  const keys = await ctx.adapter.findMany({ model: "jwks" });
  if (keys.length === 0) return { kept: null, removed: [] };
  // Live keys first so a rotation within the same millisecond still keeps
  // the key the plugin actually signs with.
  const now = Date.now();
  const live = (k) => (!k.expiresAt || k.expiresAt.getTime() > now ? 1 : 0);
  keys.sort((a, b) => live(b) - live(a) || b.createdAt.getTime() - a.createdAt.getTime());
  const [newest, ...old] = keys;
  for (const key of old) {
    await ctx.adapter.delete({ model: "jwks", where: [{ field: "id", value: key.id }] });
  }
  return { kept: newest.id, removed: old.map((k) => k.id) };
}

async function main() {
  let handle = null;
  const server = http.createServer((req, res) => {
    // Requests cannot arrive before READY is printed, but guard anyway.
    if (!handle) return sendJson(res, 503, { error: "starting" });
    handle(req, res).catch((err) => {
      console.error(err);
      if (!res.headersSent) sendJson(res, 500, { error: String(err) });
      else res.end();
    });
  });

  const requestedPort = Number.parseInt(process.env.PORT || "0", 10);
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(requestedPort, "127.0.0.1", resolve);
  });
  const { port } = server.address();
  // baseURL becomes iss/aud, so it can only be fixed once the port is known.
  const baseURL = process.env.BETTER_AUTH_URL || `http://127.0.0.1:${port}`;
  const { auth, jwtOptions } = buildAuth(baseURL);
  const authHandler = toNodeHandler(auth);
  await auth.$context; // surface configuration errors before READY

  handle = async (req, res) => {
    const path = (req.url || "").split("?", 1)[0];
    if (path.startsWith("/__test__/")) {
      if (req.method !== "POST") return sendJson(res, 405, { error: "POST only" });
      if (path === "/__test__/rotate") return sendJson(res, 200, { kid: await rotate(auth, jwtOptions) });
      if (path === "/__test__/drop-old-keys") return sendJson(res, 200, await dropOldKeys(auth));
      return sendJson(res, 404, { error: "unknown control route" });
    }
    return authHandler(req, res);
  };

  const shutdown = () => {
    server.close(() => process.exit(0));
    // Keep-alive sockets would otherwise hold close() open indefinitely.
    server.closeAllConnections();
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);

  process.stdout.write(`READY ${port}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
