import assert from "node:assert";

interface Dep {
  specifier: string;
  code?: { specifier: string };
  isDynamic?: boolean;
}
interface Info {
  roots: string[];
  modules: { specifier: string; dependencies?: Dep[]; npmPackage?: string }[];
  redirects?: Record<string, string>;
}

async function info(entry: string): Promise<Info> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Modules reached from the root through runtime (non-type) imports; dynamic ones only if asked. */
function runtimeGraph(graph: Info, followDynamic: boolean): Set<string> {
  const bySpecifier = new Map(graph.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const stack = [...graph.roots];
  while (stack.length > 0) {
    let s = stack.pop()!;
    s = graph.redirects?.[s] ?? s;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of bySpecifier.get(s)?.dependencies ?? []) {
      if (d.code && (followDynamic || !d.isDynamic)) stack.push(d.code.specifier);
    }
  }
  return seen;
}

Deno.test("decode.ts never loads TensorFlow.js, even through dynamic imports", async () => {
  const reached = [...runtimeGraph(await info("../decode.ts"), true)];
  assert.deepStrictEqual(reached.filter((s) => /tensorflow/i.test(s)), []);
  assert.ok(reached.some((s) => s.includes("fflate")), "the graph walk found no dependency at all");
});

Deno.test("mod.ts loads TensorFlow.js only through a dynamic import", async () => {
  const graph = await info("../mod.ts");
  assert.deepStrictEqual([...runtimeGraph(graph, false)].filter((s) => /tensorflow/i.test(s)), []);
  assert.ok([...runtimeGraph(graph, true)].some((s) => /tensorflow/i.test(s)));
});

Deno.test("format/ never imports src/, TensorFlow.js or the Deno global", async () => {
  const reached = [...runtimeGraph(await info("../format/mod.ts"), true)];
  assert.deepStrictEqual(reached.filter((s) => /tensorflow|\/src\//.test(s)), []);
});
