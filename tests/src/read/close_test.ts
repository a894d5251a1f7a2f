// MrcFile.close() and Symbol.asyncDispose: opening a path holds one file handle until the file
// is closed, and a file that fails to open holds none (a long-running reader, such as a server
// opening many files, must not leak handles).
import assert from "node:assert";
import { openMrc } from "../../../decode.ts";

const golden = new URL("../../testdata/v1.2-bounded.mrc", import.meta.url);

const hasProc = await Deno.stat("/proc/self").then(
  () => true,
  (e) => !(e instanceof Deno.errors.NotFound),
);

/** Runs `_fd_probe.ts` (it needs -A for /proc/self/fd) and returns its fd counts. */
async function probe(mode: string): Promise<{ before: number; after: number }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_fd_probe.ts", import.meta.url).pathname, mode],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test({
  name: "openMrc(path) then close() leaves the fd count flat over 2,000 opens",
  ignore: !hasProc,
  async fn() {
    const { before, after } = await probe("open-close");
    assert.ok(after - before <= 2, `${before} fds before, ${after} after`);
  },
});

Deno.test({
  name: "openMrc(path) closes the handle of a file that is not a .mrc file",
  ignore: !hasProc,
  async fn() {
    const { before, after } = await probe("not-mrc");
    assert.ok(after - before <= 2, `${before} fds before, ${after} after`);
  },
});

Deno.test("MrcFile.close() is idempotent and later reads fail clearly", async () => {
  const file = await openMrc(golden.pathname);
  await file.decode({ level: 0 });
  await file.close();
  await file.close();
  assert.ok(file.closed);
  assert.ok(file.header.shape.length === 3); // the header stays readable
  await assert.rejects(file.decode(), (e) => e instanceof TypeError && /closed/.test(e.message));
  await assert.rejects(file.verify(), TypeError);
  await assert.rejects(file.masks(0), TypeError);
  await assert.rejects(file.progressive().next(), TypeError);
});

Deno.test("MrcFile.close() leaves a caller's own source open", async () => {
  const bytes = await Deno.readFile(golden);
  let closed = 0;
  const source = {
    byteLength: bytes.length,
    read: (o: number, n: number) => Promise.resolve(bytes.subarray(o, o + n)),
    close: () => void closed++,
  };
  const file = await openMrc(source);
  await file.close();
  assert.strictEqual(closed, 0);
  await assert.rejects(file.decode(), TypeError);
});
