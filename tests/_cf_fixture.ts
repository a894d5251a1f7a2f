// A CF netCDF-4 file for the CLI tests of issue 22, written with ncgen (Debian's netcdf-bin): a
// time axis with CF units and cell bounds (time_bnds), pressure levels in Pa, a 4-D
// variable, a variable with time as its second dimension, and a variable in a group.

/** Sizes of the fixture. */
export const CF = { T: 3, P: 3, H: 4, W: 5, times: [14, 44, 74], plev: [100000, 85000, 50000] };

/** A smooth value of each variable at (t, p, i, j). */
export function cfValue(name: string, t: number, p: number, i: number, j: number): number {
  const base = name === "ta" ? 250 + 10 * p : name === "tlat" ? 270 : 280;
  return base + 5 * Math.sin(0.7 * t + 0.4 * i) * Math.cos(0.5 * j) + 0.25 * i;
}

/** The fixture's CDL text. */
export function cfCdl(): string {
  const { T, P, H, W, times, plev } = CF;
  const list = (f: (push: (v: number) => void) => void) => {
    const out: string[] = [];
    f((v) => out.push(v.toFixed(4)));
    return out.join(", ");
  };
  const ta = list((push) => {
    for (let t = 0; t < T; t++) {
      for (let p = 0; p < P; p++) {
        for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) push(cfValue("ta", t, p, i, j));
      }
    }
  });
  const tlat = list((push) => {
    for (let i = 0; i < H; i++) {
      for (let t = 0; t < T; t++) for (let j = 0; j < W; j++) push(cfValue("tlat", t, 0, i, j));
    }
  });
  const t2m = list((push) => {
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) push(cfValue("t2m", t, 0, i, j));
    }
  });
  return `netcdf cf {
dimensions:
  time = ${T} ;
  lat = ${H} ;
  lon = ${W} ;
  nv = 2 ;
  plev = ${P} ;
variables:
  double time(time) ;
    time:units = "days since 1990-01-01" ;
    time:calendar = "standard" ;
    time:bounds = "time_bnds" ;
  double time_bnds(time, nv) ;
  float lat(lat) ;
    lat:units = "degrees_north" ;
  float lon(lon) ;
    lon:units = "degrees_east" ;
  float plev(plev) ;
    plev:units = "Pa" ;
  float ta(time, plev, lat, lon) ;
    ta:units = "K" ;
  float tlat(lat, time, lon) ;
    tlat:units = "K" ;
data:
  time = ${times.join(", ")} ;
  time_bnds = 0, 31, 31, 59, 59, 90 ;
  lat = -45, -15, 15, 45 ;
  lon = 0, 72, 144, 216, 288 ;
  plev = ${plev.join(", ")} ;
  ta = ${ta} ;
  tlat = ${tlat} ;

group: forecast {
  variables:
    float t2m(time, lat, lon) ;
      t2m:units = "K" ;
      t2m:long_name = "2 metre temperature" ;
  data:
    t2m = ${t2m} ;
  }
}
`;
}

/** Whether ncgen runs here (it has no version flag: a tiny CDL file is compiled). */
export async function hasNcgen(): Promise<boolean> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.cdl`, "netcdf a {\ndimensions:\n  x = 1 ;\n}\n");
    const r = await new Deno.Command("ncgen", {
      args: ["-k", "nc4", "-o", `${dir}/a.nc`, `${dir}/a.cdl`],
      stdout: "null",
      stderr: "null",
    }).output();
    return r.success;
  } catch {
    return false;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes the fixture as netCDF-4 at `path` with ncgen. */
export async function writeCfFixture(path: string): Promise<void> {
  const cdl = `${path}.cdl`;
  await Deno.writeTextFile(cdl, cfCdl());
  const r = await new Deno.Command("ncgen", {
    args: ["-k", "nc4", "-o", path, cdl],
    stderr: "piped",
  })
    .output();
  if (!r.success) throw new Error(`ncgen failed: ${new TextDecoder().decode(r.stderr)}`);
  await Deno.remove(cdl);
}
