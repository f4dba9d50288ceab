/**
 * Installs the Debian packages the tests need when their commands are missing, so that
 * `npm test` works on a fresh Debian machine. Run by `npm test` (pretest) and by .ci/run.
 * Not root and something missing: prints the apt-get line to run and fails.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const wanted = readFileSync(new URL("./system-packages.txt", import.meta.url), "utf8")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith("#"))
  .map((line) => line.split(/\s+/) as [string, string]);

const has = (command: string) =>
  spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
const missing = [...new Set(wanted.filter(([command]) => !has(command)).map(([, pkg]) => pkg))];

if (missing.length === 0) process.exit(0);
if (process.getuid?.() !== 0) {
  console.error(
    `Missing Debian packages for the tests: ${missing.join(" ")}\nInstall them with: sudo apt-get install -y ${missing.join(" ")}`,
  );
  process.exit(1);
}
console.error(`Installing Debian packages for the tests: ${missing.join(" ")}`);
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
execFileSync("apt-get", ["update"], { stdio: "inherit", env });
execFileSync("apt-get", ["install", "-y", "--no-install-recommends", ...missing], { stdio: "inherit", env });
