// @ts-check
// The prompt coach: which parts of the seed's guidance a prompt covers. Pure (no DOM).

/** @param {string} s */
function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** @param {unknown} text @returns {string[]} */
function tokens(text) {
  return String(text ?? "").toLowerCase().match(/[a-z][a-z'-]*/g) || [];
}

/**
 * @typedef {{key: string, label: string, hint: string, words?: string[], patterns?: string[], rest?: boolean}} Aspect
 * @typedef {{aspects: Aspect[], stopwords?: string[]}} CoachRules
 * @typedef {{key: string, label: string, hint: string, present: boolean}} CoachCheck
 */

/**
 * Which parts of the seed's guidance a prompt covers. The rules (vocabulary, hints) come from the kernel
 * (widgets/coach.py, which implements the same analysis in Python).
 * @param {string} text
 * @param {CoachRules} rules
 * @returns {{checks: CoachCheck[], missing: string[], score: number}}
 */
export function analyzePrompt(text, rules) {
  const lower = ` ${String(text ?? "").toLowerCase().replace(/\s+/g, " ")} `;
  const words = tokens(text);
  const claimed = new Set();
  /** @type {Record<string, boolean>} */
  const found = {};
  for (const aspect of rules.aspects) {
    if (aspect.rest) continue;
    let hit = false;
    for (const w of aspect.words || []) {
      const re = new RegExp(`(^|[^a-z])${escapeRegExp(w)}($|[^a-z])`);
      if (re.test(lower)) {
        hit = true;
        for (const part of tokens(w)) claimed.add(part);
      }
    }
    for (const p of aspect.patterns || []) {
      if (new RegExp(p).test(lower)) hit = true;
    }
    found[aspect.key] = hit;
  }
  const stop = new Set(rules.stopwords || []);
  for (const aspect of rules.aspects) {
    if (!aspect.rest) continue;
    // "the rest": any content word no other aspect claimed (the subject of "A burger" is "burger")
    found[aspect.key] = words.some((w) => w.length >= 3 && !stop.has(w) && !claimed.has(w));
  }
  const checks = rules.aspects.map((a) => ({ key: a.key, label: a.label, hint: a.hint, present: !!found[a.key] }));
  const missing = checks.filter((c) => !c.present).map((c) => c.key);
  return { checks, missing, score: checks.length ? (checks.length - missing.length) / checks.length : 0 };
}

/**
 * The hint shown (as text, not only in a tooltip) under the coach: the first missing aspect's advice.
 * @param {{checks: CoachCheck[]}} result
 * @returns {string} "" when everything is covered
 */
export function coachHint(result) {
  const missing = result.checks.filter((c) => !c.present);
  if (!missing.length) return "";
  const first = missing[0];
  const more = missing.length > 1 ? ` (${missing.length - 1} more: ${missing.slice(1).map((c) => c.label.toLowerCase()).join(", ")})` : "";
  return `Add ${first.label.toLowerCase()}: ${first.hint}${more}`;
}
