// Regenerates the netCDF fixtures of tests/src/io/netcdf_test.ts: small.cdl (the text form), then
// small-classic.nc (CDF-1) and small-nc4.nc (netCDF-4/HDF5) with ncgen from Debian's netcdf-bin.
// Run: deno run --allow-read --allow-write --allow-run tests/testdata/netcdf/generate.ts
//
// The fixtures hold what the netCDF reader must handle: a record (unlimited) time dimension with
// coordinates and CF attributes, packed shorts (scale_factor, add_offset) with _FillValue and
// missing_value, a float 4-D variable (time, level, lat, lon) with a _FillValue, a 2-D double
// field without time, a text variable (not compressible) and global attributes.

const T = 8, L = 2, H = 9, W = 12;
const here = new URL("./", import.meta.url);

const times = Array.from({ length: T }, (_, t) => 6 * t);
const levels = [850, 500];
const lats = Array.from({ length: H }, (_, i) => -40 + 10 * i);
const lons = Array.from({ length: W }, (_, j) => 30 * j);

function wind(t: number, i: number, j: number): number {
  return 10 * Math.sin(0.3 * t + 0.5 * i) * Math.cos(0.4 * j) + 2 * (i - 4);
}
const uwnd: string[] = [];
for (let t = 0; t < T; t++) {
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < W; j++) {
      // Packed: value = short * 0.01 + 10. A 2 x 3 hole of _FillValue in every snapshot, and one
      // missing_value per snapshot that moves.
      let q = Math.round((wind(t, i, j) - 10) / 0.01);
      if (i >= 3 && i < 5 && j >= 4 && j < 7) q = -32767;
      if (i === 7 && j === t) q = -32766;
      uwnd.push(String(q));
    }
  }
}
const air: string[] = [];
for (let t = 0; t < T; t++) {
  for (let l = 0; l < L; l++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const v = 280 - 30 * l + 15 * Math.cos(0.35 * i) + 3 * Math.sin(0.5 * j + 0.2 * t);
        air.push(t === 2 && l === 1 && i === 0 ? "-9999" : v.toFixed(3));
      }
    }
  }
}
const sst: string[] = [];
for (let i = 0; i < H; i++) {
  for (let j = 0; j < W; j++) sst.push((20 + 8 * Math.cos(0.3 * i) + 0.1 * j).toFixed(6));
}

const cdl = `netcdf small {
dimensions:
\ttime = UNLIMITED ; // (${T} currently)
\tlevel = ${L} ;
\tlat = ${H} ;
\tlon = ${W} ;
\tnchar = 4 ;
variables:
\tdouble time(time) ;
\t\ttime:units = "hours since 2000-01-01 00:00:00" ;
\t\ttime:calendar = "standard" ;
\t\ttime:standard_name = "time" ;
\tfloat level(level) ;
\t\tlevel:units = "hPa" ;
\t\tlevel:positive = "down" ;
\tfloat lat(lat) ;
\t\tlat:units = "degrees_north" ;
\t\tlat:axis = "Y" ;
\tfloat lon(lon) ;
\t\tlon:units = "degrees_east" ;
\t\tlon:axis = "X" ;
\tshort uwnd(time, lat, lon) ;
\t\tuwnd:long_name = "zonal wind" ;
\t\tuwnd:units = "m/s" ;
\t\tuwnd:scale_factor = 0.01f ;
\t\tuwnd:add_offset = 10.f ;
\t\tuwnd:_FillValue = -32767s ;
\t\tuwnd:missing_value = -32766s ;
\t\tuwnd:valid_range = -5000s, 5000s ;
\tfloat air(time, level, lat, lon) ;
\t\tair:long_name = "air temperature" ;
\t\tair:units = "K" ;
\t\tair:_FillValue = -9999.f ;
\tdouble sst(lat, lon) ;
\t\tsst:long_name = "sea surface temperature" ;
\t\tsst:units = "degC" ;
\tchar station(nchar) ;

// global attributes:
\t\t:title = "mrcae netCDF test fixture" ;
\t\t:Conventions = "CF-1.8" ;
\t\t:version = 3 ;
data:

 time = ${times.join(", ")} ;

 level = ${levels.join(", ")} ;

 lat = ${lats.join(", ")} ;

 lon = ${lons.join(", ")} ;

 uwnd = ${uwnd.join(", ")} ;

 air = ${air.join(", ")} ;

 sst = ${sst.join(", ")} ;

 station = "KBOS" ;
}
`;
await Deno.writeTextFile(new URL("small.cdl", here), cdl);
for (const [kind, name] of [["classic", "small-classic.nc"], ["nc4", "small-nc4.nc"]]) {
  const out = new URL(name, here).pathname;
  const result = await new Deno.Command("ncgen", {
    args: ["-k", kind, "-o", out, new URL("small.cdl", here).pathname],
  }).output();
  if (!result.success) throw new Error(`ncgen -k ${kind}: ${new TextDecoder().decode(result.stderr)}`);
  console.log(`wrote ${name}: ${(await Deno.stat(out)).size} bytes`);
}
