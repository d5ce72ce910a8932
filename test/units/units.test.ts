// The one units module: every rule of docs/units.md, figures computable by hand.
import { describe, expect, it } from 'vitest';
import { formatBandwidth, formatBytes, formatDuration, parseCount, parseDuration, parseRate, parseSize } from '../../units/quantities.js';
import { median, medianRatio } from '../../units/statistics.js';

describe('sizes', () => {
  it('IEC and bare prefixes are binary, an SI prefix with B is decimal, a bare number is bytes', () => {
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize('4096B')).toBe(4096);
    expect(parseSize('64K')).toBe(65536);
    expect(parseSize('64Ki')).toBe(65536);
    expect(parseSize('64KiB')).toBe(65536);
    expect(parseSize('1G')).toBe(2 ** 30);
    expect(parseSize('1Gi')).toBe(2 ** 30);
    expect(parseSize('1GiB')).toBe(2 ** 30);
    expect(parseSize('1.5GiB')).toBe(1.5 * 2 ** 30);
    expect(parseSize('1GB')).toBe(1e9);
    expect(parseSize('1kB')).toBe(1000);
    expect(parseSize('2TB')).toBe(2e12);
  });
  it('rejects anything else in one line naming what', () => {
    expect(() => parseSize('12 parsecs', '--ram')).toThrow(/^bad --ram "12 parsecs": expected a size like "64M"/);
    expect(() => parseSize(-1)).toThrow(/bad size -1: expected a non-negative number of bytes/);
    expect(() => parseSize(['1G'])).toThrow(/bad size a list/);
    expect(() => parseSize('1e400')).toThrow(/not a finite number/);
  });
});

describe('rates', () => {
  it('bits (bit, b, bps) and bytes (B), SI decimal, IEC binary, a bare number is bytes/s', () => {
    expect(parseRate('1Gbit')).toBe(1.25e8);
    expect(parseRate('10Gbit/s')).toBe(1.25e9);
    expect(parseRate('1Gbps')).toBe(1.25e8);
    expect(parseRate('100Mb')).toBe(1.25e7);
    expect(parseRate('1Gb/s')).toBe(1.25e8);
    expect(parseRate('125MB/s')).toBe(1.25e8);
    expect(parseRate('125MBps')).toBe(1.25e8);
    expect(parseRate('128MiB/s')).toBe(128 * 2 ** 20);
    expect(parseRate('128mib')).toBe(128 * 2 ** 20);
    expect(parseRate('1000')).toBe(1000);
    expect(parseRate(1000)).toBe(1000);
  });
  it('a prefix needs a unit; nonsense is one line', () => {
    expect(() => parseRate('125M')).toThrow(/^bad rate "125M": expected a rate like "1Gbit"/);
    expect(() => parseRate('fast', '--bandwidth')).toThrow(/^bad --bandwidth "fast"/);
  });
});

describe('durations and counts', () => {
  it('durations in ms; a bare number is ms', () => {
    expect(parseDuration('300ms')).toBe(300);
    expect(parseDuration('300')).toBe(300);
    expect(parseDuration(300)).toBe(300);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2sec')).toBe(2000);
    expect(parseDuration('2min')).toBe(120_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('500us')).toBe(0.5);
    expect(() => parseDuration('soon')).toThrow(/^bad duration "soon": expected a duration like "300ms"/);
  });
  it('counts with SI multipliers', () => {
    expect(parseCount('20k')).toBe(20_000);
    expect(parseCount('1.5M')).toBe(1.5e6);
    expect(parseCount('2g')).toBe(2e9);
    expect(parseCount('-3')).toBe(-3);
    expect(parseCount('3Ki')).toBeNaN();
  });
});

describe('formatting and statistics', () => {
  it('formats bytes in IEC units, rates in SI bits, durations in ms or s', () => {
    expect(formatBytes(4096)).toBe('4 KiB');
    expect(formatBytes(64 * 2 ** 20)).toBe('64 MiB');
    expect(formatBytes(1.5 * 2 ** 30)).toBe('1.50 GiB');
    expect(formatBytes(1000)).toBe('1000 B');
    expect(formatBandwidth(1.25e8)).toBe('1 Gbit/s');
    expect(formatBandwidth(12.5)).toBe('100 bit/s');
    expect(formatDuration(1500)).toBe('1.5 s');
    expect(formatDuration(300)).toBe('300 ms');
  });
  it('median of odd and even counts, input untouched', () => {
    const values = [5, 1, 3];
    expect(median(values)).toBe(3);
    expect(values).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('medianRatio: the median of per-round ratios, not the ratio of the medians', () => {
    // A slow second round slows both sides: per round 0.5, 0.5, 3 -> 0.5; medians 100 / 100 -> 1.
    expect(medianRatio([100, 50, 300], [200, 100, 100])).toBe(0.5);
    expect(median([100, 50, 300]) / median([200, 100, 100])).toBe(1);
    expect(medianRatio([10, 20], [0, 40])).toBe(0.5); // a round without a reference is left out
    expect(medianRatio([], [])).toBeNaN();
    expect(() => medianRatio([1, 2], [1])).toThrow(/2 values against 1 references/);
  });
});
