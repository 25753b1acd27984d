// @ts-check
// What a card says about the job it came from, for lineages other than remix (format.js has remixLabel).

import { quotePrompt } from "./format.js";

/**
 * A promoted job (draft -> final): the take it re-renders, by prompt when the view knows it.
 * @param {{prompt?: string, model?: string} | null | undefined} draft
 */
export function promotedLabel(draft) {
  if (!draft) return "Promoted from a draft";
  const quoted = quotePrompt(draft.prompt);
  return `Promoted from the ${draft.model || "draft"} take${quoted ? ` ${quoted}` : ""}`;
}
