/** The Euclidean (L2) length of a vector: cosine similarity divides by it, normalization too. */
export function normOf(vector: ArrayLike<number> & Iterable<number>): number {
  let sumOfSquares = 0;
  for (const value of vector) sumOfSquares += value * value;
  return Math.sqrt(sumOfSquares);
}
