import { execFileSync } from "node:child_process";
import { randomBytes, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

/**
 * A Proxmox-VE-API-compatible HTTPS server for tests (the routes and JSON shapes of PVE 8:
 * `{ data: … }`, token auth `PVEAPIToken=USER@REALM!TOKENID=SECRET`, 401 "authentication
 * failure"), with a self-signed certificate made here, and stand-in `vzdump`, `qmrestore` and
 * `pct` scripts that emit / swallow archives and record their argv.
 */

export type StandInGuest = {
  vmid: number;
  type: "qemu" | "lxc";
  name: string;
  status: "running" | "stopped";
  tags?: string;
  pool?: string;
  template?: boolean;
  config: Record<string, string | number>;
  /** The archive vzdump --stdout emits for it; absent: vzdump fails for this guest. */
  archive?: Buffer;
};

export const TOKEN_ID = "backup@pve!tape";
export const TOKEN_SECRET = "5f0c2a8e-6a3b-4f9e-9c1d-2b7e8a4f6c10";

export type PveStandIn = {
  url: string;
  fingerprint: string;
  certPem: string;
  /** Every request: path and whether it carried an Authorization header at all. */
  requests: { method: string; path: string; authorized: boolean; hadAuth: boolean }[];
  tools: { vzdump: string; qmrestore: string; pct: string };
  dir: string;
  /** Lines of argv each tool was called with (one call a line). */
  argv(tool: "vzdump" | "qmrestore" | "pct"): Promise<string[]>;
  /** What qmrestore / pct restore read on stdin for a vmid. */
  restored(tool: "qmrestore" | "pct", vmid: number): Promise<Buffer>;
  close(): Promise<void>;
};

/** A self-signed certificate for 127.0.0.1 (EC P-256), as pveproxy makes one for a new node. */
export function selfSignedCert(dir: string, cn = "pve1"): { key: string; cert: string } {
  const key = join(dir, `${cn}.key`);
  const cert = join(dir, `${cn}.pem`);
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "2",
      "-subj",
      `/CN=${cn}`,
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  return { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") };
}

/** The outer shape of a VMA stream: magic "VMA\0", version 1, a uuid, a header, then the extents. */
export function vmaLike(bytes: number): Buffer {
  const out = randomBytes(bytes);
  out.write("VMA\0", 0, "latin1");
  out.writeUInt32BE(1, 4);
  return out;
}

export async function startPveStandIn(opts: {
  dir: string;
  node?: string;
  guests: StandInGuest[];
  /** Extra nodes the cluster lists as offline (their guests are not asked for). */
  offlineNodes?: string[];
}): Promise<PveStandIn> {
  const node = opts.node ?? "pve1";
  await mkdir(opts.dir, { recursive: true });
  const { key, cert } = selfSignedCert(opts.dir, node);
  const fingerprint = new X509Certificate(cert).fingerprint256;
  const requests: PveStandIn["requests"] = [];
  const guestsOf = (type: "qemu" | "lxc") => opts.guests.filter((g) => g.type === type);
  const find = (type: string, vmid: number) => opts.guests.find((g) => g.type === type && g.vmid === vmid);
  const listed = (g: StandInGuest) => ({
    vmid: g.vmid,
    name: g.name,
    status: g.status,
    ...(g.tags ? { tags: g.tags } : {}),
    ...(g.template ? { template: 1 } : {}),
    maxdisk: diskBytes(g),
    maxmem: 2 * 1024 ** 3,
    cpus: 2,
    uptime: g.status === "running" ? 3600 : 0,
    ...(g.type === "lxc" ? { type: "lxc" } : {}),
  });

  const server: Server = createServer({ key, cert }, (req, res) => {
    const url = new URL(req.url ?? "/", "https://pve");
    const auth = req.headers.authorization;
    const authorized = auth === `PVEAPIToken=${TOKEN_ID}=${TOKEN_SECRET}`;
    requests.push({
      method: req.method ?? "GET",
      path: url.pathname,
      authorized,
      hadAuth: auth !== undefined,
    });
    const send = (status: number, body: unknown, message?: string) => {
      res.writeHead(status, message ?? "", { "Content-Type": "application/json;charset=UTF-8" });
      res.end(JSON.stringify(body));
    };
    if (!authorized) return send(401, { data: null }, auth ? "authentication failure" : "No ticket");
    const path = url.pathname.replace(/^\/api2\/json/, "");
    if (path === "/version")
      return send(200, { data: { version: "8.2.4", release: "8.2", repoid: "faa83925c9641325" } });
    if (path === "/nodes")
      return send(200, {
        data: [
          { node, status: "online", type: "node", id: `node/${node}`, maxcpu: 8, level: "" },
          ...(opts.offlineNodes ?? []).map((n) => ({
            node: n,
            status: "offline",
            type: "node",
            id: `node/${n}`,
          })),
        ],
      });
    if (path === "/cluster/resources")
      return send(200, {
        data: opts.guests.map((g) => ({
          id: `${g.type}/${g.vmid}`,
          type: g.type,
          vmid: g.vmid,
          name: g.name,
          node,
          status: g.status,
          template: g.template ? 1 : 0,
          ...(g.tags ? { tags: g.tags } : {}),
          ...(g.pool ? { pool: g.pool } : {}),
          maxdisk: diskBytes(g),
        })),
      });
    const list = /^\/nodes\/([^/]+)\/(qemu|lxc)$/.exec(path);
    if (list) {
      if (list[1] !== node) return send(595, { data: null }, `no such node '${list[1]}'`);
      return send(200, { data: guestsOf(list[2] as "qemu" | "lxc").map(listed) });
    }
    const one = /^\/nodes\/([^/]+)\/(qemu|lxc)\/(\d+)\/(config|status\/current)$/.exec(path);
    if (one) {
      const g = find(one[2] as string, Number(one[3]));
      if (!g)
        return send(
          500,
          { data: null },
          `Configuration file 'nodes/${node}/${one[2] === "qemu" ? "qemu-server" : "lxc"}/${one[3]}.conf' does not exist`,
        );
      if (one[4] === "config")
        return send(200, { data: { ...g.config, digest: "0123456789abcdef0123456789abcdef01234567" } });
      return send(200, { data: { status: g.status, vmid: g.vmid, name: g.name } });
    }
    return send(501, { data: null }, `Method 'GET ${path}' not implemented`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  // The stand-in tools: shell scripts with their argv log and fixtures in `dir`.
  const bin = join(opts.dir, "bin");
  await mkdir(bin, { recursive: true });
  for (const g of opts.guests) if (g.archive) await writeFile(join(opts.dir, `archive-${g.vmid}`), g.archive);
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const D = q(opts.dir);
  const scripts = {
    vzdump: `#!/bin/sh
printf '%s\\n' "$*" >> ${D}/vzdump.argv
vmid="$1"
if [ ! -f ${D}/archive-"$vmid" ]; then
  printf 'VMA\\000partial' 
  echo "INFO: starting new backup job: vzdump $*" >&2
  echo "ERROR: Backup of VM $vmid failed - unable to find VM '$vmid'" >&2
  exit 255
fi
echo "INFO: starting new backup job: vzdump $*" >&2
cat ${D}/archive-"$vmid"
echo "INFO: Finished Backup of VM $vmid" >&2
`,
    qmrestore: `#!/bin/sh
printf '%s\\n' "$*" >> ${D}/qmrestore.argv
cat > ${D}/qmrestore-"$2".in
`,
    pct: `#!/bin/sh
printf '%s\\n' "$*" >> ${D}/pct.argv
cat > ${D}/pct-"$2".in
`,
  };
  const tools = {} as PveStandIn["tools"];
  for (const [name, text] of Object.entries(scripts)) {
    const path = join(bin, name);
    await writeFile(path, text);
    await chmod(path, 0o755);
    tools[name as keyof typeof tools] = path;
  }
  return {
    url: `https://127.0.0.1:${port}`,
    fingerprint,
    certPem: cert,
    requests,
    tools,
    dir: opts.dir,
    argv: async (tool) =>
      (await readFile(join(opts.dir, `${tool}.argv`), "utf8").catch(() => "")).split("\n").filter(Boolean),
    restored: (tool, vmid) => readFile(join(opts.dir, `${tool}-${vmid}.in`)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function diskBytes(g: StandInGuest): number {
  const size = Object.entries(g.config)
    .filter(
      ([k, v]) =>
        /^(scsi|virtio|sata|rootfs|mp)\d*$/.test(k) && typeof v === "string" && !v.includes("media=cdrom"),
    )
    .map(([, v]) => /size=(\d+)G/.exec(String(v))?.[1])
    .reduce((sum, n) => sum + Number(n ?? 0), 0);
  return size * 1024 ** 3;
}
