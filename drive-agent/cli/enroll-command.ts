import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { type EnrollRequest, EnrollResponse } from "../../contracts/agent-protocol.ts";
import { type AgentConfig, DEFAULT_STATE_DIR } from "../config.ts";
import { AgentError } from "../errors.ts";
import { detectHardware } from "../runtime/detect.ts";
import { changerPathOf, devicePathOf, discoverHardware, hardwareReport } from "../runtime/hardware.ts";
import { causeOf } from "../runtime/hub-client.ts";
import { createKeys, ensureStateDir, readAgentConfig, writeAgentConfig } from "../runtime/state-dir.ts";
import { AGENT_VERSION } from "../version.ts";
import type { Output } from "./output.ts";
import { UsageError } from "./output.ts";

/** Its own options: --drive is a device here, repeated, where other commands take an index. */
export const enrollOptions = {
  hub: { type: "string" },
  token: { type: "string" },
  "state-dir": { type: "string" },
  drive: { type: "string", multiple: true },
  sg: { type: "string", multiple: true },
  changer: { type: "string" },
  vtl: { type: "string" },
  force: { type: "boolean" },
  json: { type: "boolean" },
} as const;

export async function runEnrollCommand(argv: string[], out: Output): Promise<void> {
  const { values } = parseArgs({ args: argv, options: enrollOptions, allowPositionals: false, strict: true });
  const hub = values.hub;
  const token = values.token ?? process.env.TAPEBACKARR_ENROLLMENT_TOKEN;
  if (!hub || !token) throw new UsageError("enroll: --hub URL and --token T are required");
  if (!URL.canParse(hub)) throw new UsageError(`enroll: --hub ${hub} is not a URL (http://hub.example:8080)`);
  let drives = values.drive ?? [];
  let sgDevices = values.sg ?? [];
  let changer = values.changer;
  if (!values.vtl && drives.length === 0) {
    // No drive named: take what sysfs shows (drive-agent detect), in its order.
    const found = await detectHardware();
    drives = found.drives.map((d) => d.device);
    sgDevices = found.drives.map((d) => d.sgDevice ?? "");
    changer ??= found.changers[0]?.device;
  }
  if (!values.vtl && drives.length === 0)
    throw new UsageError(
      "enroll: no tape drive found (drive-agent detect); name the drives (--drive /dev/nst0 ...) or a virtual library (--vtl DIR)",
    );
  const stateDir = values["state-dir"] ?? DEFAULT_STATE_DIR;
  const existing = await readAgentConfig(stateDir);
  if (existing && !values.force)
    throw new UsageError(
      `${stateDir} is already enrolled as agent ${existing.agentId} with ${existing.hubUrl}; pass --force with a new token to enroll again`,
    );

  const hardware = await discoverHardware({
    vtl: values.vtl,
    drives,
    sgDevices,
    changer,
  });
  await ensureStateDir(stateDir);
  const keys = await createKeys(stateDir);
  const request: EnrollRequest = {
    token,
    signingKey: keys.signing,
    encryptionKey: keys.encryption,
    hostname: hostname(),
    version: AGENT_VERSION,
    ...(await hardwareReport(hardware, new Set())),
  };
  let res: Response;
  try {
    res = await fetch(new URL("/agent/v1/enroll", hub), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw unreachable(`cannot reach the hub at ${hub}: ${causeOf(error)}`);
  }
  const text = await res.text();
  if (res.status === 401 || res.status === 403)
    throw refused(`the hub refused the enrollment token: ${messageOf(text)}`);
  if (res.status >= 500) throw unreachable(`the hub failed (${res.status}): ${messageOf(text)}`);
  if (res.status !== 200) throw refused(`enrollment failed (${res.status}): ${messageOf(text)}`);
  const enrolled = EnrollResponse.parse(JSON.parse(text));
  const config: AgentConfig = {
    version: 1,
    hubUrl: new URL(hub).origin,
    agentId: enrolled.agentId,
    hubSigningKey: enrolled.hubSigningKey,
    enrolledAt: new Date().toISOString(),
    ...hardware,
  };
  await writeAgentConfig(stateDir, config);
  const lines = [
    `Enrolled as agent ${enrolled.agentId} with ${config.hubUrl}; state in ${stateDir}`,
    ...config.drives.map((d) => `  drive ${devicePathOf(d)}`),
    ...config.changers.map((c) => `  changer ${changerPathOf(c)}`),
    `Start it with: drive-agent run --state-dir ${stateDir}`,
  ];
  out.print(lines.join("\n"), {
    agentId: enrolled.agentId,
    hubUrl: config.hubUrl,
    stateDir,
    drives: config.drives,
  });
}

function messageOf(text: string): string {
  try {
    return (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text.slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}

const unreachable = (message: string) => new AgentError("HUB_UNREACHABLE", "retry", message);
const refused = (message: string) => new AgentError("ENROLLMENT_REFUSED", "operator", message);
