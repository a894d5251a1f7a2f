import assert from "node:assert";

const root = new URL("../", import.meta.url);

/** Serves the repository read-only on 127.0.0.1, as a static host would. */
function serveRepo(): { url: string; server: Deno.HttpServer; requests: string[] } {
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    requests.push(path);
    if (path.includes("..") || path.includes("node_modules")) {
      return new Response("no", { status: 404 });
    }
    try {
      const body = await Deno.readFile(new URL("." + path, root));
      const type = path.endsWith(".ts") ? "application/typescript" : "application/octet-stream";
      return new Response(body, { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, server, requests };
}

Deno.test("mod.ts imported from a URL (no import map) compresses and decodes in a separate process", async () => {
  const { url, server, requests } = serveRepo();
  const dir = await Deno.makeTempDir();
  try {
    const script = `
      import { compress, openMrc } from "${url}/mod.ts";
      const data = new Float32Array(4 * 9 * 9).map((_, i) => Math.sin(i / 7));
      const bytes = await compress(data, [4, 9, 9], { errorBound: 1e-3, levels: 1 });
      const file = await openMrc(bytes);
      const out = await file.decode();
      console.log(JSON.stringify({ shape: out.shape, size: bytes.length }));
    `;
    await Deno.writeTextFile(`${dir}/main.ts`, script);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        `--allow-import=127.0.0.1:${new URL(url).port}`,
        "--allow-env",
        "--allow-read",
        "--allow-sys",
        "main.ts",
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.ok(out.success, stderr);
    const result = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
    assert.deepStrictEqual(result.shape, [4, 9, 9]);
    assert.ok(requests.includes("/mod.ts") && requests.includes("/src/encode/compress.ts"));
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
