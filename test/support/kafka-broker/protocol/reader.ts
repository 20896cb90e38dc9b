/** Thrown for any frame that cannot be decoded; the connection that sent it is closed. */
export class MalformedFrameError extends Error {
  override readonly name = 'MalformedFrameError';
}

/**
 * Cursor over one request body. Every read checks bounds, so a truncated or lying frame
 * surfaces as MalformedFrameError instead of a RangeError deep inside a handler.
 */
export class Reader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get offset(): number {
    return this.pos;
  }

  remaining(): number {
    return this.buf.length - this.pos;
  }

  private take(n: number): number {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new MalformedFrameError(`read of ${n} bytes at ${this.pos} overruns a ${this.buf.length}-byte frame`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.take(1));
  }

  int16(): number {
    return this.buf.readInt16BE(this.take(2));
  }

  int32(): number {
    return this.buf.readInt32BE(this.take(4));
  }

  int64(): bigint {
    return this.buf.readBigInt64BE(this.take(8));
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  /** Unsigned LEB128, as used by the flexible (KIP-482) encodings. */
  uvarint(): number {
    let result = 0;
    for (let shift = 0; shift <= 28; shift += 7) {
      const byte = this.buf.readUInt8(this.take(1));
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
    }
    throw new MalformedFrameError('unsigned varint longer than 5 bytes');
  }

  string(): string {
    const s = this.nullableString();
    if (s === null) throw new MalformedFrameError('null where a string is required');
    return s;
  }

  nullableString(): string | null {
    const len = this.int16();
    if (len === -1) return null;
    if (len < -1) throw new MalformedFrameError(`string length ${len}`);
    const at = this.take(len);
    return this.buf.toString('utf8', at, at + len);
  }

  compactNullableString(): string | null {
    const len = this.uvarint() - 1;
    if (len === -1) return null;
    const at = this.take(len);
    return this.buf.toString('utf8', at, at + len);
  }

  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len === -1) return null;
    if (len < -1) throw new MalformedFrameError(`bytes length ${len}`);
    const at = this.take(len);
    return this.buf.subarray(at, at + len);
  }

  bytes(): Buffer {
    return this.nullableBytes() ?? Buffer.alloc(0);
  }

  /** A null array (length -1) reads as null; callers decide whether that means "all". */
  nullableArray<T>(item: (r: Reader) => T): T[] | null {
    const len = this.int32();
    if (len === -1) return null;
    if (len < -1 || len > this.remaining()) throw new MalformedFrameError(`array length ${len}`);
    const out: T[] = [];
    for (let i = 0; i < len; i++) out.push(item(this));
    return out;
  }

  array<T>(item: (r: Reader) => T): T[] {
    return this.nullableArray(item) ?? [];
  }

  compactArray<T>(item: (r: Reader) => T): T[] {
    const len = this.uvarint() - 1;
    if (len < 0) return [];
    if (len > this.remaining()) throw new MalformedFrameError(`compact array length ${len}`);
    const out: T[] = [];
    for (let i = 0; i < len; i++) out.push(item(this));
    return out;
  }

  /** Tagged fields carry optional extensions; none is meaningful to this broker, so skip them. */
  skipTaggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint();
      this.take(this.uvarint());
    }
  }
}
