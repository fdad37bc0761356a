// Summarises a V8 .cpuprofile (from `node --cpu-prof`) by self time: the top functions, and the
// self time per source file (node_modules collapsed to their package).
//
//   node dist/bench/cpuprofile.js FILE.cpuprofile [--top 25]
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Entry {
  key: string;
  self: number;
  total: number;
}

export interface Summary {
  /** milliseconds */
  sampled: number;
  idle: number;
  functions: Entry[];
  areas: Entry[];
}

const IDLE = new Set(["(idle)", "(root)"]);

export function analyse(profile: Profile): Summary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const functions = new Map<string, Entry>();
  const areas = new Map<string, Entry>();
  let sampled = 0;
  let idle = 0;
  const entry = (map: Map<string, Entry>, key: string) => {
    let e = map.get(key);
    if (!e) map.set(key, (e = { key, self: 0, total: 0 }));
    return e;
  };
  for (let i = 0; i < profile.samples.length; i++) {
    // A sample lasts until the next one (as DevTools counts it).
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const leaf = byId.get(profile.samples[i]!);
    if (!leaf) continue;
    sampled += ms;
    if (IDLE.has(leaf.callFrame.functionName)) {
      idle += ms;
      continue;
    }
    entry(functions, functionKey(leaf.callFrame)).self += ms;
    entry(areas, areaOf(leaf.callFrame)).self += ms;
    // Inclusive time: each function (and area) once per sample, however deep the recursion.
    const seenF = new Set<string>();
    const seenA = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (IDLE.has(frame.functionName)) continue;
      const f = functionKey(frame);
      const a = areaOf(frame);
      if (!seenF.has(f)) {
        seenF.add(f);
        entry(functions, f).total += ms;
      }
      if (!seenA.has(a)) {
        seenA.add(a);
        entry(areas, a).total += ms;
      }
    }
  }
  const bySelf = (m: Map<string, Entry>) => [...m.values()].sort((a, b) => b.self - a.self);
  return { sampled, idle, functions: bySelf(functions), areas: bySelf(areas) };
}

function functionKey(f: CallFrame): string {
  const name = f.functionName || "(anonymous)";
  if (!f.url) return name;
  return `${name}  ${shortUrl(f.url)}:${f.lineNumber + 1}`;
}

/** The file a frame belongs to; a package for node_modules; the pseudo-frame for V8's own. */
function areaOf(f: CallFrame): string {
  if (!f.url) return f.functionName.startsWith("(") ? f.functionName : "(native code)";
  const nm = f.url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const parts = f.url.slice(nm + "node_modules/".length).split("/");
    return `pkg ${parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  return shortUrl(f.url);
}

function shortUrl(url: string): string {
  const dist = url.lastIndexOf("/dist/");
  if (dist >= 0) return url.slice(dist + "/dist/".length);
  return url.replace(/^file:\/\//, "");
}

export function summarise(file: string, top = 25): string {
  const s = analyse(JSON.parse(readFileSync(file, "utf8")) as Profile);
  const busy = s.sampled - s.idle;
  const pct = (ms: number) => `${((100 * ms) / busy).toFixed(1)}%`;
  const lines = [
    `sampled ${(s.sampled / 1000).toFixed(1)} s, idle ${(s.idle / 1000).toFixed(1)} s, busy ${(busy / 1000).toFixed(1)} s; percentages are of busy time`,
    "",
    `Top ${top} functions by self time:`,
    "",
    "| self ms | self | total | function |",
    "|--:|--:|--:|---|",
    ...s.functions.slice(0, top).map((e) => `| ${e.self.toFixed(0)} | ${pct(e.self)} | ${pct(e.total)} | \`${e.key}\` |`),
    "",
    "Self time by file (node_modules by package):",
    "",
    "| self ms | self | total | file |",
    "|--:|--:|--:|---|",
    ...s.areas.slice(0, top).map((e) => `| ${e.self.toFixed(0)} | ${pct(e.self)} | ${pct(e.total)} | ${e.key} |`),
  ];
  return lines.join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: node dist/bench/cpuprofile.js FILE.cpuprofile [--top N]\n");
    process.exit(2);
  }
  const t = process.argv.indexOf("--top");
  process.stdout.write(`${summarise(file, t > 0 ? Number(process.argv[t + 1]) : 25)}\n`);
}
