import sha from 'sha.js';

// ioredis-mock only needs crypto to name Lua scripts (EVAL/EVALSHA hash them with sha1).
export function createHash(algorithm: sha.Algorithm) {
  return sha(algorithm);
}

export default { createHash };
