/**
 * The one place that picks a TensorFlow.js backend for training.
 *
 * `"auto"` takes WebGPU when a hardware (non-fallback) adapter exists, else
 * wasm, else cpu. An explicit choice is honoured (WebGPU on a software/fallback
 * adapter too) or throws an Error naming what is missing.
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
import "npm:@tensorflow/tfjs-backend-cpu@4.22.0";
import "npm:@tensorflow/tfjs-backend-wasm@4.22.0";
import "npm:@tensorflow/tfjs-backend-webgpu@4.22.0";
import { ensureConv2dBackpropFilter } from "./conv_backprop_filter.ts";
import { ensureGradients } from "./_gradients.ts";

import type { BackendName } from "./types.ts";

/** What {@link selectBackend} picked. */
export interface SelectedBackend {
  /** The active backend. */
  name: BackendName;
  /** WebGPU adapter description (vendor, architecture, device), when WebGPU runs. */
  adapter?: string;
  /** Whether the WebGPU adapter is a fallback (software) one. */
  fallbackAdapter?: boolean;
}

interface AdapterProbe {
  description: string;
  fallback: boolean;
}

// deno-lint-ignore no-explicit-any
type AnyAdapter = any;

/**
 * Mesa's Vulkan loader prints "error: XDG_RUNTIME_DIR is invalid" on stderr when that variable is
 * unset, which looks like our own error line. Points it at a private 0700 directory first.
 * Returns false when that is not possible (no env or write permission): a desktop session with a
 * GPU sets the variable itself, so such a process is a headless one where auto-selection skips
 * the probe rather than print noise.
 */
async function ensureRuntimeDir(): Promise<boolean> {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (!deno || deno.build.os !== "linux") return true;
  try {
    if (deno.env.get("XDG_RUNTIME_DIR")) return true;
    const dir = `/tmp/mrcae-runtime-${deno.env.get("USER") ?? "user"}`;
    await deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await deno.chmod(dir, 0o700);
    deno.env.set("XDG_RUNTIME_DIR", dir);
    return true;
  } catch {
    return false;
  }
}

async function probeAdapter(explicit: boolean): Promise<AdapterProbe | null> {
  // deno-lint-ignore no-explicit-any
  const gpu = (globalThis.navigator as any)?.gpu;
  if (!gpu || typeof gpu.requestAdapter !== "function") return null;
  if (!(await ensureRuntimeDir()) && !explicit) return null;
  let adapter: AnyAdapter = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch {
    return null;
  }
  if (!adapter) return null;
  const info = adapter.info ?? {};
  const fallback = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false);
  const description = [info.vendor, info.architecture, info.device, info.description]
    .filter((s: unknown) => typeof s === "string" && s.length > 0).join(" ") || "unknown";
  return { description, fallback };
}

/** The adapter probe, run once per process: for auto-selection (0) and for an explicit choice (1). */
const webgpuProbes: (Promise<AdapterProbe | null> | undefined)[] = [];

async function activate(name: BackendName): Promise<boolean> {
  if (tf.getBackend() === name && tf.engine().backendName === name) return true;
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch {
    ok = false;
  }
  // After a failed setBackend, getBackend() may still name the failed backend.
  return ok && tf.getBackend() === name;
}

/**
 * Selects and activates a TensorFlow.js backend, and enables prod mode.
 *
 * @param choice `"auto"` (hardware WebGPU, else wasm, else cpu) or an explicit backend.
 * @returns The backend now active, with the WebGPU adapter when it runs.
 * @throws Error when an explicit backend cannot start.
 *
 * @example Use the CPU backend
 * ```ts
 * import { selectBackend } from "./backend.ts";
 * const b = await selectBackend("cpu");
 * if (b.name !== "cpu") throw new Error("unexpected backend");
 * ```
 */
export async function selectBackend(
  choice: "auto" | BackendName = "auto",
): Promise<SelectedBackend> {
  tf.enableProdMode();
  ensureGradients();
  if (!["auto", "webgpu", "wasm", "cpu"].includes(choice)) {
    throw new TypeError(`Cannot select backend "${choice}": expected auto, webgpu, wasm or cpu`);
  }
  // Only the adapter probe decides whether WebGPU is worth starting.
  const wantWebgpu = choice === "webgpu" || choice === "auto";
  const explicit = choice === "webgpu";
  const probe = wantWebgpu
    ? await (webgpuProbes[explicit ? 1 : 0] ??= probeAdapter(explicit))
    : null;
  if (choice === "webgpu" || (choice === "auto" && probe && !probe.fallback)) {
    if (probe && await activate("webgpu")) {
      ensureConv2dBackpropFilter("webgpu");
      return { name: "webgpu", adapter: probe.description, fallbackAdapter: probe.fallback };
    }
    if (choice === "webgpu") {
      throw new Error(
        probe
          ? `Cannot start backend "webgpu" on adapter "${probe.description}": setBackend failed`
          : 'Cannot start backend "webgpu": no WebGPU adapter (navigator.gpu.requestAdapter() returned none)',
      );
    }
  }
  if (choice === "wasm" || choice === "auto") {
    if (await activate("wasm")) {
      ensureConv2dBackpropFilter("wasm");
      return { name: "wasm" };
    }
    if (choice === "wasm") throw new Error('Cannot start backend "wasm": setBackend failed');
  }
  if (await activate("cpu")) return { name: "cpu" };
  throw new Error('Cannot start backend "cpu": setBackend failed');
}
