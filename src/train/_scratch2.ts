import { trainMrcae } from "./mod.ts";
import { blobField } from "../../tests/src/train/_helpers.ts";
const [t, h, w] = [24, 31, 31];
const data = blobField(t, h, w, 8, 8, 0.02);
const tol1 = Number(Deno.args[0] ?? "2e-4");
const { model, report } = await trainMrcae({ data, shape: [t, h, w] }, {
  levels: 2,
  groups: [[1], [1, 1]],
  tol: [2e-3, tol1],
  steps: 150,
  batch: 16,
  learningRate: 1e-2,
  backend: "wasm",
  seed: 1,
});
for (const s of report.stages) {
  console.log(
    s.level,
    s.op,
    s.steps,
    s.stop,
    s.valLoss.toExponential(3),
    s.maskFraction,
    s.unresolvedFraction,
  );
}
const l1 = model.levels[1];
for (const g of l1.groups) {
  const [lh, lw] = l1.latent;
  let str = "";
  for (let i = 0; i < lh; i++) {
    for (let j = 0; j < lw; j++) str += g.mask[i * lw + j] ? "#" : ".";
    str += "\n";
  }
  console.log(str);
}
console.log(report.levels);
