// This module is browser compatible.
/**
 * The preset dictionary of deflated JSON bodies (1.6, SPEC.md §3.1.1): text that `MHDR`, `META`
 * and `ATTR` bodies share (their keys, their usual values), which a zlib stream may refer back to
 * before its first byte. A header of 818 bytes then deflates to 82 bytes instead of 335.
 *
 * The lines below are SPEC.md's, in order, joined with nothing between them; a test checks that
 * the two agree, and the Adler-32 of the whole.
 *
 * @module
 */

import { adler32 } from "./_checksum.ts";

/** The dictionary's lines, as SPEC.md §3.1.1 lists them (each without its line break). */
export const JSON_DICTIONARY_LINES: readonly string[] = [
  `{"variable":{"name":"","type":"float","attributes":{"missing_value":{"type":"float","value":[`,
  `9.969209968386869e+36]},"_FillValue":{"type":"short","value":[-32767]},"scale_factor":{"type":`,
  `"double","value":[0.01]},"add_offset":{"type":"double","value":[0]},"valid_range":{"type":"`,
  `float","value":[]},"standard_name":{"type":"char","value":"air_temperature"},"coordinates":{"`,
  `type":"char","value":"sea_surface_temperature"},"cell_methods":{"type":"char","value":`,
  `"time: mean"},"long_name":{"type":"char","value":"Temperature"},"units":{"type":"char","value":`,
  `"K"}}},`,
  `"dimensions":[{"name":"time","size":12,"values":[0,1,2,3,4,5,6,7,8,9,10,11],"type":"double",`,
  `"attributes":{"units":{"type":"char","value":"days since 1970-01-01 00:00:00"},"calendar":{"`,
  `type":"char","value":"standard"},"axis":{"type":"char","value":"T"}}},{"name":"depth","size":`,
  `{"type":"int","value":[1]}},{"name":"lat","size":90,"values":[],"type":"float","attributes":{"`,
  `units":{"type":"char","value":"degrees_north"},"axis":{"type":"char","value":"Y"}}},{"name":"`,
  `lon","size":180,"values":[],"type":"float","attributes":{"units":{"type":"char","value":"`,
  `degrees_east"},"axis":{"type":"char","value":"X"}}}],"selected":[{"index":0}],"global":{"`,
  `Conventions":{"type":"char","value":"CF-1.6"},"title":{"type":"char","value":""},"history":{"`,
  `type":"char","value":""}},"source":{"format":"netCDF-4","file":".nc","unlimited":["time"]}}`,
  `"backend":"webgpu","seed":0,"trainSeconds":1,"training":{"backend":"wasm","seed":0,"seconds":`,
  `1,"options":{"levels":3,"groups":[[1,1,1],[2,2,2]],"tol":[0.001,0.0005,0.0001],"omega":0.5,"`,
  `steps":500,"timeBudget":60,"batch":32,"learningRate":0.003,"initNoise":0.01,"split":[0.7,0.2,`,
  `0.1],"backend":"auto"},"split":{"train":1,"validation":1,"test":1},"stages":[{"level":0,"op":"`,
  `deepen","groups":[],"params":20,"steps":0,"stop":"budget","seconds":0,"loss":null,"valLoss":0,`,
  `"globalMetric":0,"maskFraction":null,"unresolvedFraction":0},{"level":1,"op":"widen","groups":`,
  `[1],"stop":"tolerance","testLevels":[{"level":0,"grid":[3,3],"rmse":0,"psnr":null,"`,
  `maxAbsError":0}],"quantization":{"budget":0.1,"steps":[[0.2],[],[]]}`,
  `"quant":{"base":0.2,"groups":[0.1]}},"shard":{"first":0,"total":64},"requested":{"psnr":60},`,
  `"interpolation":"linear","predictor":"auto","interpolation":"learned","requested":{"errorBound":`,
  `0.01},"requested":{"relErrorBound":0.0001},"missing":{"mode":"fill","fillValue":-999,"count":1`,
  `},"missing":{"mode":"nan","fillValue":null,"count":1}`,
  `{"shape":[12,90,180],"dtype":"float32","grid":[95,191],"crop":[0,0],"padMode":"replicate","`,
  `normalization":{"offset":0,"scale":1},"blockSize":64,"levels":[{"grid":[3,6],"latent":[1,3],"`,
  `groups":[],"quant":{"base":null,"groups":[]}},{"grid":[5,11],"latent":[2,5],"groups":[],"quant`,
  `":{"base":null,"groups":[]}},{"grid":[11,23],"latent":[5,11],"groups":[],"quant":{"base":null,`,
  `"groups":[]}},{"grid":[23,47],"latent":[11,23],"groups":[],"quant":{"base":null,"groups":[]}},{`,
  `"grid":[47,95],"latent":[23,47],"groups":[],"quant":{"base":null,"groups":[]}}],"quantization`,
  `":"uniform-midtread","missing":{"mode":"none","fillValue":null,"count":0},"coding":"bounded","`,
  `bound":{"abs":0.001,"keyInterval":32,"interpolation":"cubic"}}`,
  `{"tool":"mrcae","mode":"bounded","inputShape":[12,90,180],"version":"0.1.0","created":"2026-12-`,
  `04T12:00:00.000Z","bound":{"abs":0.001,"rel":0.001,"requested":{},"trials":1},"keyInterval":32,`,
  `"interpolation":"cubic","predictor":"cubic","blockSize":64,"range":1,"encodeSeconds":0.1,"`,
  `levels":[{"level":0,"grid":[3,6],"rmse":0.0001,"psnr":60.1,"maxAbsError":0.001,"bytes":100,"`,
  `nonzero":100,"escapes":0,"modes":[1,0,0],"zeroLevels":0},{"level":1,"grid":[6,12],"rmse":0.000`,
  `1,"psnr":60.1,"maxAbsError":0.001,"bytes":1000,"nonzero":1000,"escapes":0,"modes":[1,0,0],"`,
  `zeroLevels":0},{"level":2,"grid":[12,23],"rmse":0.0001,"psnr":60.1,"maxAbsError":0.0009765625,`,
  `"bytes":10000,"nonzero":10000,"escapes":0,"modes":[1,0,0],"zeroLevels":0}]}`,
];

/** The dictionary's bytes: its lines' ASCII characters, in order. */
export const JSON_DICTIONARY: Uint8Array = new TextEncoder().encode(JSON_DICTIONARY_LINES.join(""));

/** The dictionary's Adler-32: the DICTID of a zlib stream that uses it (RFC 1950). */
export const JSON_DICTIONARY_ID: number = adler32(JSON_DICTIONARY);
