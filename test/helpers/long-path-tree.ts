import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The first `bytes` bytes of `text` repeated, cut on a character boundary (names stay valid UTF-8). */
function nameOfBytes(seed: string, bytes: number): string {
  let out = "";
  let size = 0;
  for (let i = 0; ; i++) {
    const ch = seed[i % seed.length] as string;
    const n = Buffer.byteLength(ch);
    if (size + n > bytes) return out;
    out += ch;
    size += n;
  }
}

const SEEDS = [
  "répertoire-données-",
  "日本語のフォルダ-",
  "Ordner-Größe-ß-",
  "каталог-данных-",
  "dossier-été-",
];

export type TreeFile = { path: string; size: number; sha256: string };

/**
 * A tree of `files` small files under `root` with the paths real shares have at their worst: four
 * directory levels whose names are 150–250 bytes of mixed UTF-8, file names of 100–250 bytes,
 * paths around a kilobyte. Returns every file, relative to `root`, with its size and sha256.
 */
export async function makeLongPathTree(root: string, files: number): Promise<TreeFile[]> {
  const perDir = 100;
  const out: TreeFile[] = [];
  const dirs = Math.ceil(files / perDir);
  for (let d = 0; d < dirs; d++) {
    const parts = [d % 5, Math.floor(d / 5) % 6, Math.floor(d / 30) % 7, d].map((k, level) => {
      const seed = SEEDS[(k + level) % SEEDS.length] as string;
      return `${level}-${k}-${nameOfBytes(seed, 150 + ((k * 37 + level * 11) % 90))}`;
    });
    const rel = parts.join("/");
    await mkdir(join(root, rel), { recursive: true });
    const batch: Promise<void>[] = [];
    for (let i = 0; i < perDir && out.length < files; i++) {
      const n = out.length;
      const seed = SEEDS[n % SEEDS.length] as string;
      const name = `${n}-${nameOfBytes(seed, 100 + ((n * 53) % 140))}.txt`;
      const content = n % 11 === 0 ? "" : `file ${n} of a long-path tree\n`.repeat(1 + (n % 5));
      const path = `${rel}/${name}`;
      out.push({
        path,
        size: Buffer.byteLength(content),
        sha256: createHash("sha256").update(content).digest("hex"),
      });
      batch.push(writeFile(join(root, path), content));
    }
    await Promise.all(batch);
  }
  return out;
}
