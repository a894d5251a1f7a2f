// Writes one netCDF file per year of a variable "tas" (time, lat, lon), as a CMIP model run splits
// its output: the test generator of many-file input (tests/cli_scale_test.ts). Needs ncgen
// (Debian's netcdf-bin).

/** Options of {@linkcode writeYearly}. */
export interface YearlyOptions {
  /** Years, e.g. 20: files `tas_2000.nc` .. */
  years: number;
  /** Snapshots per year. Default 12 (monthly, 30 days apart). */
  perYear?: number;
  /** Grid. Default 14 x 18. */
  lat?: number;
  lon?: number;
  /** ncgen's kind: "classic" or "nc4". Default classic. */
  kind?: "classic" | "nc4";
  /** Changes one year's file: another grid, units or time origin. */
  odd?: { year: number; lat?: number; units?: string; timeUnits?: string };
  /** Years to leave out (a gap). */
  skip?: number[];
}

/** The value of "tas" at a whole-run snapshot and a point (Kelvin). */
export function tas(t: number, i: number, j: number): number {
  return 280 + 15 * Math.cos(0.3 * i) + 4 * Math.sin(0.4 * j + 0.5 * t) + 0.01 * t;
}

/**
 * Writes the files into `dir` and returns their paths in time order.
 *
 * @param dir A directory.
 * @param options Years, grid, kind and the odd file.
 */
export async function writeYearly(dir: string, options: YearlyOptions): Promise<string[]> {
  const per = options.perYear ?? 12;
  const kind = options.kind ?? "classic";
  const paths: string[] = [];
  for (let y = 0; y < options.years; y++) {
    if (options.skip?.includes(y)) continue;
    const odd = options.odd?.year === y ? options.odd : undefined;
    const H = odd?.lat ?? options.lat ?? 14, W = options.lon ?? 18;
    const times = Array.from({ length: per }, (_, m) => 365 * y + 30 * m);
    const values: string[] = [];
    for (let m = 0; m < per; m++) {
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < W; j++) values.push(tas(y * per + m, i, j).toFixed(4));
      }
    }
    const cdl = `netcdf tas_${2000 + y} {
dimensions:
\ttime = UNLIMITED ;
\tlat = ${H} ;
\tlon = ${W} ;
variables:
\tdouble time(time) ;
\t\ttime:units = "${odd?.timeUnits ?? "days since 2000-01-01"}" ;
\t\ttime:calendar = "noleap" ;
\tfloat lat(lat) ;
\t\tlat:units = "degrees_north" ;
\tfloat lon(lon) ;
\t\tlon:units = "degrees_east" ;
\tfloat tas(time, lat, lon) ;
\t\ttas:units = "${odd?.units ?? "K"}" ;
\t\ttas:long_name = "near-surface air temperature" ;

// global attributes:
\t\t:title = "tas, year ${2000 + y}" ;
data:
 time = ${times.join(", ")} ;
 lat = ${Array.from({ length: H }, (_, i) => -60 + 10 * i).join(", ")} ;
 lon = ${Array.from({ length: W }, (_, j) => 20 * j).join(", ")} ;
 tas = ${values.join(", ")} ;
}
`;
    const base = `${dir}/tas_${2000 + y}`;
    await Deno.writeTextFile(`${base}.cdl`, cdl);
    const out = await new Deno.Command("ncgen", {
      args: ["-k", kind, "-o", `${base}.nc`, `${base}.cdl`],
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`ncgen failed: ${new TextDecoder().decode(out.stderr)}`);
    paths.push(`${base}.nc`);
  }
  return paths;
}
