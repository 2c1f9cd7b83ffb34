// Node-only modules (fs, path, util, timers, ...) that ioredis, fengari (ioredis-mock's Lua
// engine), fake-timers and readable-stream load but only use where Node's `process` or the
// module itself exists: in a Worker they are empty.
export {};
