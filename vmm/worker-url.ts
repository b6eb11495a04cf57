import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Start a worker thread from a module next to the caller. Built code runs `.js` directly; when the
 * sources run as TypeScript (vitest, tsx) the worker loads the same TypeScript through tsx.
 */
export function startWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  const typescript = moduleUrl.pathname.endsWith('.ts');
  const execArgv = typescript ? [...(options.execArgv ?? []), '--import', 'tsx'] : options.execArgv;
  return new Worker(moduleUrl, { ...options, ...(execArgv ? { execArgv } : {}) });
}

/** The URL of a sibling module, keeping the caller's extension (`.ts` from source, `.js` built). */
export function siblingModule(callerUrl: string, basename: string): URL {
  const extension = callerUrl.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${basename}${extension}`, callerUrl);
}
