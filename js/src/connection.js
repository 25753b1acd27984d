// @ts-check
// Is the kernel behind this view still there? A restarted (or never started) kernel does not know this widget:
// its commands would wait for answers that never come. Pure (no DOM): the views show the state.
//
// Signals, fastest first: the kernel connection's status turning "restarting" / "autorestarting" / "dead" /
// "starting" (JupyterLab and Notebook 7 share @jupyter-widgets/jupyterlab-manager, whose manager exposes the
// kernel), the model's `comm_live_update` (the manager marks every model dead on a restart), and a `ping`
// command with a short timeout at render and with actions. A ping left unanswered while the kernel is busy
// (a cell is running: comm messages wait for it) is not a loss: it is asked again when the kernel goes idle.
// Hosts that expose no kernel (marimo, whose model has no `widget_manager.kernel`) cannot tell a running cell
// from a gone kernel: there an unanswered ping means "busy", asked again later, never "lost" (marimo closes
// the views of a restarted kernel itself; a command there fails by its own timeout).

export const LOST_MESSAGE = "This widget lost its kernel — re-run the cell";
/** Kernel statuses after which this widget's comm cannot be there any more. */
export const GONE_STATUSES = Object.freeze(["restarting", "autorestarting", "dead", "starting"]);
/** How long a ping waits before the view counts the kernel as gone (when it is not busy). */
export const PING_TIMEOUT_MS = 1500;
/** Actions re-check the connection when nothing was heard from the kernel for this long. */
const STALE_MS = 3000;
/** With no kernel status to watch: the waits before asking again after each unanswered ping (the last repeats). */
export const RECHECK_MS = Object.freeze([2000, 4000, 8000, 15000]);

/**
 * The kernel connection behind a model, when the page's widget manager exposes one (JupyterLab, Notebook 7).
 * @param {any} model @returns {{status?: string, statusChanged?: {connect: Function, disconnect: Function}} | null}
 */
export function kernelOf(model) {
  try {
    const kernel = model?.widget_manager?.kernel;
    return kernel && typeof kernel === "object" ? kernel : null;
  } catch (_) {
    return null;
  }
}

/**
 * @typedef {"checking" | "live" | "busy" | "lost"} ConnectionState
 * @param {{ping: (timeoutMs: number) => Promise<unknown>, kernel?: ReturnType<typeof kernelOf>,
 *          on?: (names: string, fn: () => void) => void, off?: (names: string, fn: () => void) => void,
 *          pingTimeoutMs?: number, now?: () => number, recheckMs?: readonly number[]}} options
 */
export function createConnection({ ping, kernel = null, on, off, pingTimeoutMs = PING_TIMEOUT_MS, now = Date.now, recheckMs = RECHECK_MS }) {
  /** @type {ConnectionState} */
  let state = "checking";
  let lastHeard = 0;
  let checking = false;
  let disposed = false;
  /** @type {ReturnType<typeof setTimeout> | null} */
  let recheckTimer = null;
  let rechecks = 0;
  /** @type {Set<(s: ConnectionState) => void>} */
  const listeners = new Set();
  /** @param {ConnectionState} next */
  const set = (next) => {
    if (disposed || next === state) return;
    state = next;
    for (const fn of [...listeners]) fn(state);
  };
  const check = () => {
    if (checking || disposed) return;
    checking = true;
    ping(pingTimeoutMs).then(
      () => {
        checking = false;
        heard();
      },
      () => {
        checking = false;
        if (state === "live" && now() - lastHeard < pingTimeoutMs) return; // another answer came meanwhile
        if (!kernel) {
          set("busy");
          recheckLater();
          return;
        }
        // a busy kernel answers once the running cell finishes: ask again when it says "idle"
        set(kernel.status === "busy" ? "busy" : "lost");
      },
    );
  };
  const recheckLater = () => {
    if (recheckTimer || disposed) return;
    const wait = recheckMs[Math.min(rechecks, recheckMs.length - 1)];
    rechecks += 1;
    recheckTimer = setTimeout(() => {
      recheckTimer = null;
      if (state === "busy") check();
    }, wait);
  };
  const heard = () => {
    lastHeard = now();
    rechecks = 0;
    set("live");
  };
  /** @param {unknown} _sender @param {string} status */
  const onStatus = (_sender, status) => {
    if (GONE_STATUSES.includes(status)) set("lost");
    else if (status === "idle" && state === "busy") check();
  };
  const onCommLive = () => {
    // the manager marks every model dead when the kernel restarts; a network blip is told apart by the ping
    set("checking");
    checking = false;
    check();
  };
  kernel?.statusChanged?.connect?.(onStatus);
  on?.("comm_live_update", onCommLive);
  check();
  return {
    get state() {
      return state;
    },
    get lost() {
      return state === "lost";
    },
    /** A reply arrived: the kernel is there. */
    heard,
    /** Before an action: ask again unless the kernel answered a moment ago (a lost view asks too: a kernel
     * that was only slow comes back). */
    beforeAction() {
      if (state === "lost" || now() - lastHeard > STALE_MS) check();
    },
    check,
    /** @param {(s: ConnectionState) => void} fn @returns {() => void} */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    dispose() {
      disposed = true;
      if (recheckTimer) clearTimeout(recheckTimer);
      listeners.clear();
      kernel?.statusChanged?.disconnect?.(onStatus);
      off?.("comm_live_update", onCommLive);
    },
  };
}

/** @typedef {ReturnType<typeof createConnection>} Connection */
