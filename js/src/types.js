// @ts-check
// Shared JSDoc types (no code). The kernel's side: widgets/_base.py::summarize.

/**
 * @typedef {object} JobError
 * @property {string} code
 * @property {string} message
 * @property {string | null} blocked_input
 * @property {boolean} retryable
 */

/**
 * @typedef {object} Item  A job summary (widgets/_base.py::summarize).
 * @property {string} job_id
 * @property {string | null} video_id
 * @property {string} status
 * @property {number | null} progress
 * @property {number | null} eta_s
 * @property {number} elapsed_s
 * @property {number | null} [typical_s] how long such a job usually takes (shown when present)
 * @property {string} prompt
 * @property {string} model
 * @property {string} size
 * @property {string} seconds
 * @property {number | null} cost_usd
 * @property {JobError | null} error
 * @property {import("./sprite.js").SpriteGeometry | null} sprite
 * @property {boolean} has_thumbnail
 * @property {boolean} has_spritesheet
 * @property {boolean} has_video
 * @property {boolean} can_remix
 * @property {boolean} can_delete
 * @property {boolean} [can_cancel] absent: a running job may be cancelled (the `delete` command)
 * @property {string | null} remixed_from
 * @property {string | null} [promoted_from] the draft (take) this job re-renders (job.promote)
 * @property {number | null} [created_at]
 * @property {number | null} [completed_at]
 */

/**
 * @typedef {(cmd: string, args?: object, opts?: {buffers?: ArrayBuffer[], timeoutMs?: number}) =>
 *   Promise<{result: any, buffers: DataView[]}>} Request
 */

/**
 * @typedef {object} CardHost what a view gives each of its cards
 * @property {Request} request
 * @property {(item: Item, variant: string) => Promise<string | null>} media  a URL owned by the host
 * @property {import("./progress.js").Ticker} ticker the view's one timer
 * @property {(text: string) => void} [announce] say something to screen readers (one live region per view)
 * @property {(jobId: string) => Item | undefined} [lookup] another job of the view (a remix's source)
 * @property {(item: Item, playing: boolean) => void} [onPlaying] a card's player started or stopped playing
 * @property {boolean} [tracksJobs] the host shows the jobs a card starts (remix, retry) and reports their
 *   statuses back through `card.settle`, so the card's "Remix started" note lasts until the remix finishes
 */

/**
 * @typedef {object} Model the part of anywidget's model the views use
 * @property {(name: string) => any} get
 * @property {(names: string, fn: (...args: any[]) => void) => void} on
 * @property {(names: string, fn: (...args: any[]) => void) => void} off
 * @property {(msg: any, callbacks?: any, buffers?: ArrayBuffer[]) => void} send
 * @property {(name: string, value: any) => void} [set]
 * @property {() => void} [save_changes]
 * @property {any} [widget_manager]
 */

export {};
