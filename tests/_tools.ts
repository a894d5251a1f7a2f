// The outside tools the tests run (ncdump, ncatted, cdo, Python with xarray): running one, and
// whether one is installed, said once per tool when it is not (its checks are then skipped).

/** Debian's Python, which has python3-xarray and python3-netcdf4 when they are installed. */
export const PYTHON = "/usr/bin/python3";

/** Runs a command to its end: its exit code and its output as text. */
export async function exec(
  command: string,
  args: string[],
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const found = new Map<string, boolean>();

/** Whether a tool runs here; prints a note the first time it does not. */
export async function has(tool: string, why = "Debian package"): Promise<boolean> {
  if (!found.has(tool)) {
    let ok = true;
    try {
      await new Deno.Command(tool, { args: ["--version"], stdout: "null", stderr: "null" })
        .output();
    } catch {
      ok = false;
    }
    found.set(tool, ok);
    if (!ok) console.log(`  note: ${tool} not installed (${why}): that check is skipped`);
  }
  return found.get(tool)!;
}

/** Whether Python can import netCDF4 and xarray (Debian python3-netcdf4, python3-xarray). */
export async function hasXarray(): Promise<boolean> {
  if (!found.has("xarray")) {
    let ok = false;
    try {
      ok = (await exec(PYTHON, ["-c", "import netCDF4, xarray"])).code === 0;
    } catch { /* no python */ }
    found.set("xarray", ok);
    if (!ok) {
      console.log(
        "  note: python3 with netCDF4 and xarray not importable (Debian python3-netcdf4 python3-xarray): that check is skipped",
      );
    }
  }
  return found.get("xarray")!;
}
