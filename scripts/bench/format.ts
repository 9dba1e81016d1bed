/** Number formats shared by the console lines and BENCHMARKS.md. */
export const fixed = (n: number, digits = 1) => n.toFixed(digits);
export const percent = (n: number) => `${(n * 100).toFixed(1)}%`;
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
