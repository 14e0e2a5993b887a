// Thrown inside the decoders on malformed input and caught per message by the session decoder,
// which turns it into an error event: bounds checks stay one line each.
export class DecodeError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'DecodeError';
  }
}
