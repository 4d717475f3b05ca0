// Deno-side worker wrapper for the Hotwatch functions gateway (run by real Deno, not Node).
// It imports the function's entrypoint unchanged and serves its `Deno.serve` handler (or
// `export default { fetch }`) on a private loopback port, then reports that port to the
// gateway on stdout. Plain JS so the stack's TypeScript project does not type-check Deno
// globals; the gateway removes its own HOTWATCH_* variables from the environment first,
// so the function sees only what Supabase injects.

const READY_MARKER = '\u001e__hotwatch_worker_ready__';
const entry = Deno.env.get('HOTWATCH_FN_ENTRY');
// What the edge runtime hides from functions (main.ts EXCLUDED_ENVS) and the gateway's own variables.
for (const k of ['HOME', 'HOSTNAME', 'PATH', 'PWD', 'HOTWATCH_FN_ENTRY', 'DENO_DIR', 'DENO_NO_UPDATE_CHECK', 'NO_COLOR']) Deno.env.delete(k);

// The edge runtime's global, in the subset functions use. Background tasks outlive the
// response and, as on the platform, a worker that is being retired (SIGTERM from the
// gateway: over the soft CPU limit, or near its wall clock) finishes them before it exits.
const background = new Set();
globalThis.EdgeRuntime ??= {
  waitUntil(promise) {
    const p = Promise.resolve(promise).catch((e) => console.error('EdgeRuntime.waitUntil task failed:', e));
    background.add(p);
    p.finally(() => background.delete(p));
    return promise;
  },
};
Deno.addSignalListener('SIGTERM', () => {
  if (background.size === 0) Deno.exit(0);
  Promise.allSettled([...background]).then(() => Deno.exit(0));
});

const originalServe = Deno.serve.bind(Deno);
let server;

function serveOnPrivatePort(options, handler) {
  if (server) throw new Error('Deno.serve was called more than once; an edge function serves one handler');
  const { port: _p, hostname: _h, path: _path, cert: _c, key: _k, onListen: userOnListen, ...rest } = options ?? {};
  server = originalServe({
    ...rest,
    port: 0,
    hostname: '127.0.0.1',
    onListen(addr) {
      console.log(`${READY_MARKER} ${addr.port}`);
      void userOnListen;
    },
  }, handler);
  return server;
}

// Deno.serve(handler) | Deno.serve(options, handler) | Deno.serve({ ...options, handler })
Deno.serve = (a, b) => {
  if (typeof a === 'function') return serveOnPrivatePort(typeof b === 'object' ? b : {}, a);
  return serveOnPrivatePort(a, b ?? a?.handler);
};

const mod = await import(entry);
if (!server && typeof mod?.default?.fetch === 'function') {
  serveOnPrivatePort({}, (req, info) => mod.default.fetch(req, info));
}
if (!server) {
  console.error('BOOT_ERROR: the function neither called Deno.serve nor exported default { fetch }');
  Deno.exit(70);
}

// If the stack dies without stopping its workers (kill -9), do not outlive it.
const parent = Deno.ppid;
Deno.unrefTimer(setInterval(() => { if (Deno.ppid !== parent) Deno.exit(0); }, 1000));
