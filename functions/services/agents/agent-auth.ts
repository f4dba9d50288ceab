import { eq, sql } from "drizzle-orm";
import { decodeJwt, importJWK, jwtVerify } from "jose";
import { AGENT_TOKEN_AUDIENCE, MAX_AGENT_TOKEN_SECONDS } from "../../../contracts/agent-protocol.ts";
import { agents } from "../../db/schema/index.ts";
import type { AgentPrincipal, ServiceCtx } from "../../deps.ts";
import { preparedPerDb } from "../shared/prepared-per-db.ts";

export interface AgentKeys {
  signing: { kty: "OKP"; crv: "Ed25519"; x: string };
  encryption: { kty: "OKP"; crv: "X25519"; x: string };
}

/** Every agent request looks its agent up: prepared once per catalog. */
const agentById = preparedPerDb((db) =>
  db.query.agents.findFirst({ where: eq(agents.id, sql.placeholder("id")) }).prepare(),
);

/**
 * Checks an agent's request token: an EdDSA JWT whose issuer is an enrolled, enabled agent and
 * whose signature verifies with that agent's registered key. Returns null for anything else.
 */
export async function resolveAgent(ctx: ServiceCtx, token: string): Promise<AgentPrincipal | null> {
  let issuer: string | undefined;
  try {
    issuer = decodeJwt(token).iss;
  } catch {
    return null;
  }
  if (!issuer || issuer.length > 64) return null;
  const agent = await agentById(ctx.db).execute({ id: issuer });
  if (!agent?.publicKey || agent.state === "disabled") return null;
  const keys = JSON.parse(agent.publicKey) as AgentKeys;
  try {
    const key = await importJWK({ ...keys.signing, alg: "EdDSA" }, "EdDSA");
    await jwtVerify(token, key, {
      issuer,
      audience: AGENT_TOKEN_AUDIENCE,
      algorithms: ["EdDSA"],
      maxTokenAge: MAX_AGENT_TOKEN_SECONDS,
      requiredClaims: ["exp", "iat"],
      currentDate: ctx.now(),
      clockTolerance: 30,
    });
  } catch {
    return null;
  }
  return { agentId: agent.id, name: agent.name };
}
