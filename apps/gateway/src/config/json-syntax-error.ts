/**
 * Finds where a JSON text stops being JSON, with a line and a column, so that a bad config file is
 * reported as `file:line:column` on every Node version (V8's own `JSON.parse` messages give an
 * offset on some versions, only a quote of the text on others, and never a line).
 */

/** Where a JSON text first breaks the grammar (RFC 8259), and how. */
export interface JsonSyntaxError {
  /** Line of the offending character, from 1. */
  readonly line: number;
  /** Column of the offending character on its line, from 1, in characters (code points). */
  readonly column: number;
  /** What was expected and what was found, e.g. `expected "," or "}", found "]"`. */
  readonly reason: string;
}

class Stop {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

/**
 * The first syntax error of `text` as JSON, or `undefined` when `text` is valid JSON. Scans
 * iteratively (a deeply nested text cannot exhaust the stack) and builds no value.
 */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  try {
    new JsonScanner(text).scan();
    return undefined;
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    const before = text.slice(0, error.offset);
    const lineStart = before.lastIndexOf("\n") + 1;
    return {
      line: (before.match(/\n/g)?.length ?? 0) + 1,
      column: Array.from(before.slice(lineStart)).length + 1,
      reason: error.reason,
    };
  }
}

const Escapes = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);
const NumberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class JsonScanner {
  readonly #text: string;
  #at = 0;
  /** The open containers, innermost last. */
  readonly #open: ("object" | "array")[] = [];

  constructor(text: string) {
    this.#text = text;
  }

  scan(): void {
    this.#value();
    for (;;) {
      this.#space();
      const container = this.#open[this.#open.length - 1];
      if (container === undefined) {
        if (this.#at < this.#text.length) this.#fail("the end of the JSON value");
        return;
      }
      const c = this.#text[this.#at];
      const close = container === "object" ? "}" : "]";
      if (c === close) {
        this.#at++;
        this.#open.pop();
      } else if (c === ",") {
        this.#at++;
        if (container === "object") this.#key(true);
        this.#value(true);
      } else {
        this.#fail(`"," or "${close}"`);
      }
    }
  }

  /**
   * One value. A container opened here is left open for `scan` to finish; its first member's
   * value is read by this same loop, so nesting never recurses.
   */
  #value(afterComma = false): void {
    for (;;) {
      this.#space();
      const c = this.#text[this.#at];
      if (c === "{" || c === "[") {
        const close = c === "{" ? "}" : "]";
        this.#at++;
        this.#open.push(c === "{" ? "object" : "array");
        this.#space();
        if (this.#text[this.#at] === close) {
          this.#at++;
          this.#open.pop();
          return;
        }
        if (c === "{") this.#key(false);
        afterComma = false;
        continue;
      }
      if (c === '"') this.#string();
      else if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) this.#number();
      else if (!this.#literal()) {
        this.#fail(afterComma && c === "]" ? "a value (a trailing comma?)" : "a value");
      }
      return;
    }
  }

  /** The `"key":` of an object member (its value follows). */
  #key(afterComma: boolean): void {
    this.#space();
    if (this.#text[this.#at] !== '"') {
      const trailing = afterComma && this.#text[this.#at] === "}";
      this.#fail(`a property name in double quotes${trailing ? " (a trailing comma?)" : ""}`);
    }
    this.#string();
    this.#space();
    if (this.#text[this.#at] !== ":") this.#fail('":" after the property name');
    this.#at++;
  }

  #string(): void {
    const start = this.#at;
    this.#at++; // the opening quote
    for (;;) {
      const c = this.#text[this.#at];
      if (c === undefined) throw new Stop(start, "a string that never ends");
      if (c === '"') {
        this.#at++;
        return;
      }
      if (c < " ") {
        throw new Stop(this.#at, "a control character (such as a line break) inside a string");
      }
      if (c === "\\") {
        const next = this.#text[this.#at + 1];
        if (next === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(this.#text.slice(this.#at + 2, this.#at + 6))) {
            throw new Stop(this.#at, "a \\u escape without four hex digits");
          }
          this.#at += 6;
          continue;
        }
        if (next === undefined || !Escapes.has(next)) {
          throw new Stop(this.#at, `an unknown escape "\\${next ?? ""}" in a string`);
        }
        this.#at += 2;
        continue;
      }
      this.#at++;
    }
  }

  #number(): void {
    NumberPattern.lastIndex = this.#at;
    const match = NumberPattern.exec(this.#text);
    if (match === null) this.#fail("a number");
    this.#at += match[0].length;
    // A number runs into a letter or digit it cannot hold, e.g. 01 or 1.5x.
    if (/[\w.+-]/.test(this.#text[this.#at] ?? "")) this.#fail("the end of the number");
  }

  #literal(): boolean {
    for (const word of ["true", "false", "null"]) {
      if (
        this.#text.startsWith(word, this.#at) &&
        !/\w/.test(this.#text[this.#at + word.length] ?? "")
      ) {
        this.#at += word.length;
        return true;
      }
    }
    return false;
  }

  #space(): void {
    while (/[ \t\n\r]/.test(this.#text[this.#at] ?? "")) this.#at++;
  }

  /** Stops at the current character, saying what was expected there and what was found. */
  #fail(expected: string): never {
    throw new Stop(this.#at, `expected ${expected}, found ${this.#found()}`);
  }

  #found(): string {
    const rest = this.#text.slice(this.#at);
    if (rest === "") return "the end of the file";
    const word = /^[\w$]+/.exec(rest)?.[0];
    if (word !== undefined)
      return JSON.stringify(word.length > 20 ? `${word.slice(0, 20)}…` : word);
    const c = String.fromCodePoint(rest.codePointAt(0) ?? 0);
    if (c === "'") return `"'" (JSON strings take double quotes)`;
    if (c === "/" && (rest[1] === "/" || rest[1] === "*"))
      return `"${rest.slice(0, 2)}" (JSON has no comments)`;
    return JSON.stringify(c);
  }
}
