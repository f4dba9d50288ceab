import { z } from "zod";
import { Ed25519PublicJwk } from "../contracts/agent-protocol.ts";

export const DEFAULT_STATE_DIR = "/var/lib/tapebackarr-agent";

/** A drive the agent was enrolled with: a st device (optionally in an mtx changer) or a vtl drive. */
export const DriveSetup = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("st"),
    device: z.string().min(1),
    sgDevice: z.string().nullable().default(null),
    changerDevice: z.string().nullable().default(null),
    changerIndex: z.number().int().min(0).nullable().default(null),
  }),
  z.object({
    kind: z.literal("vtl"),
    library: z.string().min(1),
    index: z.number().int().min(0),
    /** Bytes per write into the cartridge file; unset: the vtl's default (DEFAULT_VTL_WRITE_BYTES). */
    writeBytes: z
      .number()
      .int()
      .min(512)
      .max(64 << 20)
      .optional(),
  }),
]);
export type DriveSetup = z.output<typeof DriveSetup>;

export const ChangerSetup = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("mtx"), device: z.string().min(1) }),
  z.object({ kind: z.literal("vtl"), library: z.string().min(1) }),
]);
export type ChangerSetup = z.output<typeof ChangerSetup>;

/** config.json in the state dir: written once by `enroll`, read by `run`. */
export const AgentConfig = z.object({
  version: z.literal(1),
  hubUrl: z.string().url(),
  agentId: z.string().min(1),
  /** Pinned at enrollment: orders signed by any other key are refused. */
  hubSigningKey: Ed25519PublicJwk,
  enrolledAt: z.string(),
  drives: z.array(DriveSetup),
  changers: z.array(ChangerSetup),
});
export type AgentConfig = z.output<typeof AgentConfig>;

/** Settings of `drive-agent run` that operators (and tests) may tune; parsed once at the entry. */
export const RunSettings = z.object({
  heartbeatMs: z.coerce.number().int().min(100).max(600_000).default(30_000),
  pollWaitSeconds: z.coerce.number().int().min(0).max(30).default(25),
  /** How long a stopping agent keeps trying to deliver its last reports before it exits. */
  shutdownGraceMs: z.coerce.number().int().min(0).max(600_000).default(15_000),
  clockSkewSeconds: z.coerce.number().int().min(0).max(600).default(60),
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  /** The PVE node's tools (docs/adr/0016); paths, so a test can put stand-ins in their place. */
  proxmox: z
    .object({
      vzdump: z.string().min(1).default("vzdump"),
      qmrestore: z.string().min(1).default("qmrestore"),
      pct: z.string().min(1).default("pct"),
      /** One archive part in memory: a guest's stream is cut into tar members of this size. */
      partBytes: z.coerce
        .number()
        .int()
        .min(4096)
        .max(4 * 1024 ** 3)
        .default(64 << 20),
    })
    .default({ vzdump: "vzdump", qmrestore: "qmrestore", pct: "pct", partBytes: 64 << 20 }),
});
export type ProxmoxTools = RunSettings["proxmox"];
export type RunSettings = z.output<typeof RunSettings>;

export function runSettingsFromEnv(env: Record<string, string | undefined>): RunSettings {
  const pick = (name: string) => (env[name] === "" ? undefined : env[name]);
  return RunSettings.parse({
    heartbeatMs: pick("TAPEBACKARR_AGENT_HEARTBEAT_MS"),
    pollWaitSeconds: pick("TAPEBACKARR_AGENT_POLL_WAIT"),
    shutdownGraceMs: pick("TAPEBACKARR_AGENT_SHUTDOWN_GRACE_MS"),
    clockSkewSeconds: pick("TAPEBACKARR_AGENT_CLOCK_SKEW"),
    logLevel: pick("LOG_LEVEL"),
    proxmox: {
      vzdump: pick("TAPEBACKARR_VZDUMP"),
      qmrestore: pick("TAPEBACKARR_QMRESTORE"),
      pct: pick("TAPEBACKARR_PCT"),
      partBytes: pick("TAPEBACKARR_GUEST_PART_BYTES"),
    },
  });
}
