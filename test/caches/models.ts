/**
 * Slow, obviously correct models of every policy, written straight from the pseudo-code of
 * cache-policies.md with plain arrays (index 0 = newest / MRU / top) and linear searches.
 * Each returns the per-request hit (true) / miss (false) sequence; every miss inserts.
 */

export type Model = (keys: number[], capacity: number) => boolean[];

function remove<T>(list: T[], item: T): void {
  const at = list.indexOf(item);
  if (at >= 0) list.splice(at, 1);
}

export const lruModel: Model = (keys, c) => {
  const list: number[] = [];
  return keys.map((key) => {
    if (list.includes(key)) {
      remove(list, key);
      list.unshift(key);
      return true;
    }
    if (list.length === c) list.pop();
    list.unshift(key);
    return false;
  });
};

export const fifoModel: Model = (keys, c) => {
  const queue: number[] = [];
  return keys.map((key) => {
    if (queue.includes(key)) return true;
    if (queue.length === c) queue.pop();
    queue.unshift(key);
    return false;
  });
};

export const clockModel: Model = (keys, c) => {
  const queue: { key: number; bit: boolean }[] = []; // oldest first
  return keys.map((key) => {
    const entry = queue.find((item) => item.key === key);
    if (entry) {
      entry.bit = true;
      return true;
    }
    if (queue.length === c) {
      for (;;) {
        const oldest = queue.shift()!;
        if (!oldest.bit) break;
        oldest.bit = false;
        queue.push(oldest);
      }
    }
    queue.push({ key, bit: false });
    return false;
  });
};

export const sieveModel: Model = (keys, c) => {
  const list: { key: number; visited: boolean }[] = []; // head (newest) first
  let hand: { key: number; visited: boolean } | null = null;
  return keys.map((key) => {
    const entry = list.find((item) => item.key === key);
    if (entry) {
      entry.visited = true;
      return true;
    }
    if (list.length === c) {
      let victim = hand ?? list[list.length - 1]!;
      while (victim.visited) {
        victim.visited = false;
        const at = list.indexOf(victim);
        victim = at > 0 ? list[at - 1]! : list[list.length - 1]!;
      }
      const at = list.indexOf(victim);
      hand = at > 0 ? list[at - 1]! : null;
      list.splice(at, 1);
    }
    list.unshift({ key, visited: false });
    return false;
  });
};

/** n-way set-associative, LRU per set, set = key mod (c / ways). */
export function setAssocModel(ways: number): Model {
  return (keys, c) => {
    const sets = c / ways;
    const lists: number[][] = Array.from({ length: sets }, () => []);
    return keys.map((key) => {
      const list = lists[Number(BigInt(key) % BigInt(sets))]!;
      if (list.includes(key)) {
        remove(list, key);
        list.unshift(key);
        return true;
      }
      if (list.length === ways) list.pop();
      list.unshift(key);
      return false;
    });
  };
}

/** A direct-mapped cache: slot = key mod c, always replace. */
export const directMappedModel: Model = (keys, c) => {
  const slots = new Array<number | undefined>(c).fill(undefined);
  return keys.map((key) => {
    const slot = Number(BigInt(key) % BigInt(c));
    if (slots[slot] === key) return true;
    slots[slot] = key;
    return false;
  });
};

/** QEMU's cache with the age rule, a generation per `perGeneration` requests (0: never). */
export function qemuModel(perGeneration: number): Model {
  return (keys, c) => {
    const slots: ({ key: number; age: number } | undefined)[] = new Array(c).fill(undefined);
    let generation = 0;
    return keys.map((key, i) => {
      const slot = Number(BigInt(key) % BigInt(c));
      const entry = slots[slot];
      let hit = false;
      if (entry && entry.key === key) {
        entry.age = generation;
        hit = true;
      } else if (!entry || entry.age + 2 <= generation) {
        slots[slot] = { key, age: generation };
      }
      if (perGeneration > 0 && (i + 1) % perGeneration === 0) generation++;
      return hit;
    });
  };
}

export function twoQModel(kin: number, kout: number): Model {
  return (keys, c) => {
    const a1in: number[] = [];
    const am: number[] = [];
    const a1out: number[] = [];
    const reclaim = () => {
      if (a1in.length + am.length < c) return;
      if (a1in.length > kin || am.length === 0) {
        a1out.unshift(a1in.pop()!);
        if (a1out.length > kout) a1out.pop();
      } else {
        am.pop();
      }
    };
    return keys.map((key) => {
      if (am.includes(key)) {
        remove(am, key);
        am.unshift(key);
        return true;
      }
      if (a1in.includes(key)) return true;
      if (a1out.includes(key)) {
        remove(a1out, key);
        reclaim();
        am.unshift(key);
      } else {
        reclaim();
        a1in.unshift(key);
      }
      return false;
    });
  };
}

export function arcModel(integerStep: boolean): Model {
  return (keys, c) => {
    const t1: number[] = [];
    const t2: number[] = [];
    const b1: number[] = [];
    const b2: number[] = [];
    let p = 0;
    const ratio = (n: number, d: number) => {
      const r = n / d;
      if (r <= 1) return 1;
      return integerStep ? Math.floor(r) : r;
    };
    const replace = (inB2: boolean) => {
      if (t1.length >= 1 && (t1.length > p || (inB2 && t1.length === p))) b1.unshift(t1.pop()!);
      else b2.unshift(t2.pop()!);
    };
    return keys.map((key) => {
      if (t1.includes(key) || t2.includes(key)) {
        remove(t1, key);
        remove(t2, key);
        t2.unshift(key);
        return true;
      }
      if (b1.includes(key)) {
        p = Math.min(c, p + ratio(b2.length, b1.length));
        replace(false);
        remove(b1, key);
        t2.unshift(key);
      } else if (b2.includes(key)) {
        p = Math.max(0, p - ratio(b1.length, b2.length));
        replace(true);
        remove(b2, key);
        t2.unshift(key);
      } else {
        const total = t1.length + t2.length + b1.length + b2.length;
        if (t1.length + b1.length === c) {
          if (t1.length < c) {
            b1.pop();
            replace(false);
          } else {
            t1.pop();
          }
        } else if (total >= c) {
          if (total === 2 * c) b2.pop();
          replace(false);
        }
        t1.unshift(key);
      }
      return false;
    });
  };
}

export function s3fifoModel(maxS: number, ghostCapacity: number, promote: number, ghostBefore: boolean): Model {
  return (keys, c) => {
    const maxM = c - maxS;
    const small: number[] = [];
    const main: number[] = [];
    const ghost: number[] = [];
    const freq = new Map<number, number>();
    const evictM = () => {
      while (main.length > 0) {
        const tail = main.pop()!;
        if (freq.get(tail)! > 0) {
          freq.set(tail, freq.get(tail)! - 1);
          main.unshift(tail);
        } else return;
      }
    };
    const evictS = () => {
      while (small.length > 0) {
        const tail = small.pop()!;
        if (freq.get(tail)! >= promote) {
          freq.set(tail, 0);
          main.unshift(tail);
          if (main.length > maxM) evictM();
        } else {
          ghost.unshift(tail);
          if (ghost.length > ghostCapacity) ghost.pop();
          return;
        }
      }
    };
    return keys.map((key) => {
      if (small.includes(key) || main.includes(key)) {
        freq.set(key, Math.min(freq.get(key)! + 1, 3));
        return true;
      }
      let inGhost = false;
      if (ghostBefore && ghost.includes(key)) {
        remove(ghost, key);
        inGhost = true;
      }
      while (small.length + main.length >= c) {
        if (small.length >= maxS || main.length === 0) evictS();
        else evictM();
      }
      if (!ghostBefore && ghost.includes(key)) {
        remove(ghost, key);
        inGhost = true;
      }
      (inGhost ? main : small).unshift(key);
      freq.set(key, 0);
      return false;
    });
  };
}

export interface LirsModelOptions {
  hir: number;
  nonres: number;
  stack: number;
  dup: 'count' | 'skip' | 'top';
}

export function lirsModel(options: LirsModelOptions): Model {
  return (keys, c) => {
    const lirLimit = c - options.hir;
    const stack: number[] = []; // top first
    const queue: number[] = []; // front (next victim) first
    const status = new Map<number, 'LIR' | 'HIR' | 'NR'>();
    const nonresident: number[] = []; // oldest first
    let last = -1;
    const count = (...kinds: string[]) => [...status.values()].filter((kind) => kinds.includes(kind)).length;
    const prune = () => {
      while (stack.length > 0 && status.get(stack[stack.length - 1]!) !== 'LIR') {
        const bottom = stack.pop()!;
        if (status.get(bottom) === 'NR') {
          status.delete(bottom);
          remove(nonresident, bottom);
        }
      }
    };
    const demote = () => {
      const bottom = stack.pop()!;
      status.set(bottom, 'HIR');
      queue.push(bottom);
      prune();
    };
    const forgetOldest = () => {
      const oldest = nonresident.shift()!;
      remove(stack, oldest);
      status.delete(oldest);
    };
    return keys.map((key) => {
      const state = status.get(key);
      const repeat = key === last;
      last = key;
      if (state === 'LIR' || state === 'HIR') {
        if (repeat && options.dup === 'skip') return true;
        if (state === 'LIR') {
          const wasBottom = stack[stack.length - 1] === key;
          remove(stack, key);
          stack.unshift(key);
          if (wasBottom) prune();
        } else if (stack.includes(key)) {
          if (!(options.dup === 'top' && stack[0] === key)) {
            remove(stack, key);
            stack.unshift(key);
            status.set(key, 'LIR');
            remove(queue, key);
            demote();
          }
        } else {
          stack.unshift(key);
          remove(queue, key);
          queue.push(key);
        }
        return true;
      }
      if (count('LIR') < lirLimit || count('LIR', 'HIR') < c) {
        const toLir = count('LIR') < lirLimit;
        if (state === 'NR') {
          remove(stack, key);
          remove(nonresident, key);
        }
        stack.unshift(key);
        status.set(key, toLir ? 'LIR' : 'HIR');
        if (!toLir) queue.push(key);
      } else {
        const victim = queue.shift()!;
        if (stack.includes(victim)) {
          status.set(victim, 'NR');
          nonresident.push(victim);
        } else status.delete(victim);
        if (state === 'NR') {
          remove(stack, key);
          stack.unshift(key);
          remove(nonresident, key);
          status.set(key, 'LIR');
          demote();
        } else {
          status.set(key, 'HIR');
          stack.unshift(key);
          queue.push(key);
        }
      }
      while (nonresident.length > options.nonres) forgetOldest();
      while (stack.length > options.stack && nonresident.length > 0) forgetOldest();
      return false;
    });
  };
}

/** Belady's MIN by brute force: on a full miss, evict the resident used farthest ahead. */
export function optModel(bypass: boolean): Model {
  return (keys, c) => {
    const resident: number[] = [];
    const nextUse = (key: number, from: number) => {
      for (let j = from; j < keys.length; j++) if (keys[j] === key) return j;
      return Number.POSITIVE_INFINITY;
    };
    return keys.map((key, i) => {
      if (resident.includes(key)) return true;
      if (resident.length === c) {
        let victim = 0;
        let farthest = -1;
        resident.forEach((page, at) => {
          const when = nextUse(page, i + 1);
          if (when > farthest) {
            farthest = when;
            victim = at;
          }
        });
        if (bypass && nextUse(key, i + 1) >= farthest) return false;
        resident.splice(victim, 1);
      }
      resident.push(key);
      return false;
    });
  };
}
