// Preloaded into the service (node --expose-gc --import) by the memory scenario only: SIGUSR2 runs
// a full garbage collection, so that RSS is read with no garbage in the heap, whenever it is read.
process.on('SIGUSR2', () => globalThis.gc?.());
