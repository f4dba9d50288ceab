/**
 * Include/exclude patterns as operators write them for backup tools:
 *   `*.tmp`            no slash: matches the name at any depth
 *   `cache/**`         a slash: matches the path relative to the source path
 *   `/srv/share/tmp`   a leading slash: matches the absolute path
 * `*` and `?` stay within one path component, `**` crosses components, `[...]` is a class.
 */
export type PathMatcher = (path: { absolute: string; relative: string; name: string }) => boolean;

export function compileGlobs(patterns: readonly string[]): PathMatcher | null {
  const compiled = patterns
    .filter((p) => p.trim() !== "")
    .map((pattern) => {
      const target: "absolute" | "relative" | "name" = pattern.startsWith("/")
        ? "absolute"
        : pattern.includes("/")
          ? "relative"
          : "name";
      return { target, regex: globToRegExp(pattern.replace(/\/+$/, "")) };
    });
  if (compiled.length === 0) return null;
  return (path) => compiled.some(({ target, regex }) => regex.test(path[target]));
}

export function globToRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        // "**/" matches zero or more whole directories; a bare "**" anything at all.
        const slash = glob[i + 2] === "/";
        out += slash ? "(?:.*/)?" : ".*";
        i += slash ? 2 : 1;
      } else out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const close = glob.indexOf("]", i + 2);
      if (close === -1) out += "\\[";
      else {
        const body = glob.slice(i + 1, close).replace(/\\/g, "\\\\");
        out += `[${body.startsWith("!") ? `^${body.slice(1)}` : body}]`;
        i = close;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`, "s");
}
