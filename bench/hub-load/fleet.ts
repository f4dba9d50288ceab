import { agentKeyPairs, agentToken } from "../../test/helpers/agent-keys.ts";

/** One enrolled agent of the bench: its id, its drive and its tape, and its signed calls. */
export interface BenchAgent {
  id: string;
  name: string;
  barcode: string;
  call(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response>;
  heartbeat(): Promise<void>;
}

const json = { "content-type": "application/json" };

export async function api<T>(url: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...json },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * Creates the agent through the API and enrolls it as a drive-agent does (Ed25519 + X25519 keys),
 * with one vtl drive holding `barcode`; its first heartbeat reports that drive.
 */
export async function enrollAgent(
  url: string,
  admin: string,
  name: string,
  barcode: string,
): Promise<BenchAgent> {
  const created = await api<{ agent: { id: string }; enrollmentToken: string }>(
    url,
    admin,
    "POST",
    "/agents",
    {
      name,
    },
  );
  const { signing, signingKey, encryptionKey } = await agentKeyPairs();
  const drives = [{ devicePath: "/vtl/drive0", name: `${name} drive`, kind: "vtl", loadedBarcode: barcode }];
  const enrolled = await fetch(`${url}/agent/v1/enroll`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({
      token: created.enrollmentToken,
      signingKey,
      encryptionKey,
      hostname: `${name}.bench`,
      version: "bench",
      drives,
      changers: [],
    }),
  });
  if (!enrolled.ok) throw new Error(`enroll ${name}: ${enrolled.status} ${await enrolled.text()}`);
  const { agentId } = (await enrolled.json()) as { agentId: string };
  // A token lives 5 min; the bench signs one a minute, as an agent renews its own.
  let token = { value: "", until: 0 };
  const bearer = async () => {
    const now = Date.now();
    if (now < token.until) return token.value;
    const iat = Math.floor(now / 1000);
    const value = await agentToken(agentId, signing.privateKey, iat, 300);
    token = { value, until: now + 60_000 };
    return value;
  };
  const call = async (method: string, path: string, body?: unknown, signal?: AbortSignal) =>
    fetch(`${url}/agent/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${await bearer()}`, ...json },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal ? { signal } : {}),
    });
  const agent: BenchAgent = {
    id: agentId,
    name,
    barcode,
    call,
    async heartbeat() {
      const res = await call("POST", "/heartbeat", {
        version: "bench",
        protocol: 1,
        sentAt: Date.now(),
        drives,
        changers: [],
      });
      if (res.status !== 204) throw new Error(`heartbeat ${name}: ${res.status} ${await res.text()}`);
    },
  };
  await agent.heartbeat();
  return agent;
}
