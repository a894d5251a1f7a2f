/**
 * netCDF input and output: read a 2-D or 3-D field (or a 2-D/3-D selection of a 4-D one) from a
 * netCDF classic, 64-bit offset or netCDF-4/HDF5 file with its CF attributes, and write a decoded
 * field back as netCDF-4 with its dimensions, coordinates and attributes, or several fields (2-D,
 * 3-D or 4-D with a layer axis) as the variables of one file, sharing their dimensions.
 *
 * Libraries, loaded on first use only (the decode-only entry never reaches them):
 * - classic and 64-bit offset (CDF-1, CDF-2): `npm:netcdfjs` (pure TypeScript, reads the whole
 *   file into memory; CDF-5 is not supported by it and is refused with a conversion hint);
 * - netCDF-4/HDF5, reading and writing: `npm:h5wasm` (the HDF5 C library compiled to
 *   WebAssembly; its Node build reads and writes files directly and slices datasets, so only the
 *   selected hyperslab of a variable is read).
 *
 * CF conventions applied on reading: `_FillValue` and `missing_value` (compared in the stored,
 * packed type) become NaN, which compression keeps exactly; `scale_factor`/`add_offset` are
 * applied (`value * scale_factor + add_offset`); the time dimension is found by name (`time`,
 * `t`), by `axis: "T"`, `standard_name: "time"` or by `units` of the form `"<unit> since <date>"`
 * on its coordinate variable, and must come first; any other extra dimension is fixed to one
 * index with `select`.
 *
 * The parts: `source.ts` (one shape for both libraries, chosen by the file's signature),
 * `classic.ts` (netcdfjs), `hdf5.ts` (h5wasm), `cf.ts` (the conventions), `read.ts`, `write.ts`.
 *
 * @module
 */

export type {
  NetcdfDimension,
  NetcdfField,
  NetcdfFileReport,
  NetcdfListing,
  NetcdfOutput,
  NetcdfSelection,
  NetcdfVariableInfo,
  NetcdfWriteReport,
  ReadNetcdfOptions,
} from "./types.ts";
export {
  DEFAULT_MAX_VALUES,
  listNetcdfVariables,
  type NetcdfLayers,
  netcdfLayers,
  type NetcdfSlabs,
  type NetcdfVariableReader,
  openNetcdfField,
  openNetcdfVariable,
  readNetcdf,
  readNetcdfEach,
} from "./read.ts";
export {
  DEFAULT_DEFLATE,
  writeNetcdf,
  writeNetcdfFile,
  type WriteNetcdfFileOptions,
} from "./write.ts";
