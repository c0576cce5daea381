// Polling until a condition holds: used by the driver inside the extension host and by run.mjs outside it.

/** Resolves with the first truthy value of `check()`, polled every `everyMs`; rejects after `timeoutMs`. */
async function until(what, check, timeoutMs, everyMs = 100) {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) {
      return value;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

module.exports = { until };
