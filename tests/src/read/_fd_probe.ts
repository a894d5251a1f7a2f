// Run by close_test.ts in a subprocess with -A: /proc/self/fd needs full read access, which the
// test task does not grant. Prints the fd counts before and after `mode`'s opens as JSON.
import { openMrc } from "../../../decode.ts";

const golden = new URL("../../testdata/v1.2-bounded.mrc", import.meta.url);

async function openFds(): Promise<number> {
  let n = 0;
  for await (const _ of Deno.readDir("/proc/self/fd")) n++;
  return n;
}

const mode = Deno.args[0];
const before = await openFds();
if (mode === "open-close") {
  for (let i = 0; i < 1000; i++) await (await openMrc(golden.pathname)).close();
  for (let i = 0; i < 1000; i++) {
    await using file = await openMrc(golden);
    if (file.closed) throw new Error("closed too early");
  }
} else if (mode === "not-mrc") {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/bad.mrc`, new Uint8Array(200));
    for (let i = 0; i < 200; i++) {
      const failed = await openMrc(`${dir}/bad.mrc`).then(() => false, () => true);
      if (!failed) throw new Error("bad.mrc opened");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
} else throw new Error(`unknown mode ${mode}`);
console.log(JSON.stringify({ before, after: await openFds() }));
