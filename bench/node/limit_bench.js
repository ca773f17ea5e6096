// rate-limiter-flexible's consume() per second on one Node.js process against a Redis server:
// the peer redis_limit_bench (../redis_limit_bench.cc) runs in the same run.
//
//   node bench/node/limit_bench.js --port 6790 --limiter fixed-window --clients 50 \
//       --keys 10000 --seconds 2
//
// One ioredis client (its usual deployment: a process shares one connection, which carries
// every request in flight), `clients` consumers each with one consume() in flight, keys cycling
// over `keys` twelve-digit names (the keys redis_limit_bench's clients cycle over). Limiters:
//   fixed-window            RateLimiterRedis: one Lua script (SET NX, INCRBY, PTTL) by EVALSHA;
//   fixed-window-nonatomic  RateLimiterRedisNonAtomic: MULTI INCRBY PTTL EXEC (then PEXPIRE
//                           for a new key);
//   bursty                  BurstyRateLimiter: a RateLimiterRedis, and a second one only when
//                           the first refuses (never here).
// 1000 points a second per key: with 50 consumers over 10,000 keys every consume is allowed
// and writes. Warm-up: 20 consumes per consumer, untimed. Prints one line of JSON:
// {"limiter", "consumes_per_s", "allowed_share", "errors", "cpu_us_per_consume"}.
'use strict';

const Redis = require('ioredis');
const {
  RateLimiterRedis,
  RateLimiterRedisNonAtomic,
  BurstyRateLimiter,
} = require('rate-limiter-flexible');

const kPoints = 1000;
const kDurationS = 1;
const kWarmupPerConsumer = 20;

function parse(argv) {
  const options = { port: 6379, limiter: 'fixed-window', clients: 50, keys: 10000, seconds: 2 };
  for (let i = 2; i + 1 < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in options)) throw new Error(`unknown option ${argv[i]}`);
    options[name] = name === 'limiter' ? argv[i + 1] : Number(argv[i + 1]);
  }
  return options;
}

function makeLimiter(kind, client) {
  const base = { storeClient: client, points: kPoints, duration: kDurationS };
  if (kind === 'fixed-window') return new RateLimiterRedis({ ...base, keyPrefix: 'rlflx' });
  if (kind === 'fixed-window-nonatomic') {
    return new RateLimiterRedisNonAtomic({ ...base, keyPrefix: 'rlflxna' });
  }
  if (kind === 'bursty') {
    return new BurstyRateLimiter(
      new RateLimiterRedis({ ...base, keyPrefix: 'rlflxb' }),
      new RateLimiterRedis({ ...base, keyPrefix: 'rlflxburst', points: kPoints, duration: 10 }),
    );
  }
  throw new Error(`unknown limiter ${kind}`);
}

// `clients` consumers until `done()`; returns {allowed, refused, errors}.
async function consumeAll(limiter, options, done) {
  const counts = { allowed: 0, refused: 0, errors: 0 };
  let serial = 0;
  const consumer = async () => {
    while (!done()) {
      const key = String(serial++ % options.keys).padStart(12, '0');
      try {
        await limiter.consume(key, 1);
        ++counts.allowed;
      } catch (rejection) {
        if (rejection instanceof Error) ++counts.errors;
        else ++counts.refused;  // a RateLimiterRes: not enough points
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, consumer));
  return counts;
}

async function main() {
  const options = parse(process.argv);
  const client = new Redis({ host: '127.0.0.1', port: options.port, enableOfflineQueue: true });
  const limiter = makeLimiter(options.limiter, client);
  let warmups = 0;
  await consumeAll(limiter, options, () => warmups++ >= kWarmupPerConsumer * options.clients);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(options.seconds * 1e9));
  const counts = await consumeAll(limiter, options, () => process.hrtime.bigint() >= deadline);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const total = counts.allowed + counts.refused + counts.errors;
  console.log(JSON.stringify({
    limiter: options.limiter,
    consumes_per_s: total / seconds,
    allowed_share: counts.allowed / Math.max(1, total),
    errors: counts.errors,
    cpu_us_per_consume: (cpu.user + cpu.system) / Math.max(1, total),
  }));
  client.disconnect();
}

main().catch((error) => {
  console.error(`limit_bench.js: ${error.message}`);
  process.exit(1);
});
