// CRC-64/ECMA-182 as OSS reports it in `x-oss-hash-crc64ecma`: the reflected ECMA-182 polynomial,
// all-ones initial value and final XOR (the variant also called CRC-64/XZ; Go's crc64.ECMA and oss2's
// crcmod agree). Computed slicing-by-8 on 32-bit halves: no BigInt per byte, so a 1 GiB upload stays cheap.
const POLY_HI = 0xc96c5795;
const POLY_LO = 0xd7870f42;

const hiT: Uint32Array[] = [];
const loT: Uint32Array[] = [];
{
  const h0 = new Uint32Array(256);
  const l0 = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let hi = 0;
    let lo = i;
    for (let b = 0; b < 8; b++) {
      const lsb = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (lsb) {
        lo = (lo ^ POLY_LO) >>> 0;
        hi = (hi ^ POLY_HI) >>> 0;
      }
    }
    h0[i] = hi;
    l0[i] = lo;
  }
  hiT.push(h0);
  loT.push(l0);
  for (let k = 1; k < 8; k++) {
    const h = new Uint32Array(256);
    const l = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      const ph = hiT[k - 1][i];
      const pl = loT[k - 1][i];
      const idx = pl & 0xff;
      l[i] = (((pl >>> 8) | (ph << 24)) ^ l0[idx]) >>> 0;
      h[i] = ((ph >>> 8) ^ h0[idx]) >>> 0;
    }
    hiT.push(h);
    loT.push(l);
  }
}
const [H0, H1, H2, H3, H4, H5, H6, H7] = hiT;
const [L0, L1, L2, L3, L4, L5, L6, L7] = loT;

export class Crc64 {
  private hi = 0xffffffff;
  private lo = 0xffffffff;

  update(buf: Uint8Array): this {
    let hi = this.hi;
    let lo = this.lo;
    let i = 0;
    const end8 = buf.length - (buf.length % 8);
    for (; i < end8; i += 8) {
      const a = (lo ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24))) >>> 0;
      const b = (hi ^ (buf[i + 4] | (buf[i + 5] << 8) | (buf[i + 6] << 16) | (buf[i + 7] << 24))) >>> 0;
      lo =
        L7[a & 0xff] ^
        L6[(a >>> 8) & 0xff] ^
        L5[(a >>> 16) & 0xff] ^
        L4[a >>> 24] ^
        L3[b & 0xff] ^
        L2[(b >>> 8) & 0xff] ^
        L1[(b >>> 16) & 0xff] ^
        L0[b >>> 24];
      hi =
        H7[a & 0xff] ^
        H6[(a >>> 8) & 0xff] ^
        H5[(a >>> 16) & 0xff] ^
        H4[a >>> 24] ^
        H3[b & 0xff] ^
        H2[(b >>> 8) & 0xff] ^
        H1[(b >>> 16) & 0xff] ^
        H0[b >>> 24];
    }
    for (; i < buf.length; i++) {
      const idx = (lo ^ buf[i]) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ L0[idx];
      hi = (hi >>> 8) ^ H0[idx];
    }
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
    return this;
  }

  /** The CRC as OSS writes it: an unsigned decimal. */
  digest(): string {
    return ((BigInt(~this.hi >>> 0) << 32n) | BigInt(~this.lo >>> 0)).toString();
  }
}

export function crc64(data: Uint8Array): string {
  return new Crc64().update(data).digest();
}

// Combining: the CRC of A followed by B from the CRCs of A and B and B's length (zlib's crc32_combine, in 64 bits),
// so completing a multipart upload need not read its bytes again. Operators are 64x64 GF(2) matrices, one per
// power of two of appended zero bytes, squared once and kept.
const POLY = (BigInt(POLY_HI) << 32n) | BigInt(POLY_LO);
type Gf2Matrix = bigint[];

function times(mat: Gf2Matrix, vec: bigint): bigint {
  let sum = 0n;
  for (let i = 0; vec !== 0n; i++, vec >>= 1n) if (vec & 1n) sum ^= mat[i];
  return sum;
}

function square(mat: Gf2Matrix): Gf2Matrix {
  return mat.map((row) => times(mat, row));
}

/** ZERO_BYTES[k]: the operator that appends 2^k zero bytes to a CRC. */
const ZERO_BYTES: Gf2Matrix[] = [];
function zeroBytes(k: number): Gf2Matrix {
  if (ZERO_BYTES.length === 0) {
    const oneBit: Gf2Matrix = [POLY, ...Array.from({ length: 63 }, (_, n) => 1n << BigInt(n))];
    ZERO_BYTES.push(square(square(square(oneBit))));
  }
  while (ZERO_BYTES.length <= k) ZERO_BYTES.push(square(ZERO_BYTES[ZERO_BYTES.length - 1]));
  return ZERO_BYTES[k];
}

/** The CRC (decimal, as OSS writes it) of A followed by B. */
export function crc64Combine(crcA: string, crcB: string, lengthB: number): string {
  let crc = BigInt(crcA);
  for (let k = 0, n = lengthB; n > 0; k++, n = Math.floor(n / 2)) if (n % 2) crc = times(zeroBytes(k), crc);
  return (crc ^ BigInt(crcB)).toString();
}
