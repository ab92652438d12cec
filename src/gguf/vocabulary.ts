/**
 * SentencePiece ("llama") vocabularies for generated models. Every vocabulary has the tokens llama.cpp needs
 * to load and run a SentencePiece model and node-llama-cpp needs to pick the ChatML chat wrapper:
 * `<unk>`, `<s>`, `</s>`, the 256 byte-fallback tokens, `<|im_start|>` / `<|im_end|>`, and one token per
 * printable ASCII character (space is SentencePiece's `▁`), so any text tokenizes and detokenizes exactly.
 */
import { TokenType } from "./constants.js";

/** SentencePiece's visible space: a word token `▁cat` reads " cat". */
export const SPACE_MARK = "\u2581";

export interface Vocabulary {
  tokens: string[];
  scores: number[];
  types: number[];
  unkId: number;
  bosId: number;
  /** `</s>`; generation ends on {@link imEndId}, which the file declares as end of sequence. */
  endOfTextId: number;
  imStartId: number;
  imEndId: number;
  /** Ids of the printable ASCII character tokens (`▁` and `!`..`~`). */
  charIds: { start: number; end: number };
  /** Ids of whole-word tokens (`▁word`), empty when the vocabulary has no word list. */
  wordIds: { start: number; end: number };
}

export interface VocabularyOptions {
  /** Whole words to add as `▁word` tokens (lowercase ASCII). Default none. */
  words?: readonly string[];
  /**
   * Total number of tokens. When larger than the base vocabulary, it is filled with letter pieces (`▁a`,
   * `ab`, `▁ab`, `abc`, …) so real text compresses to several characters per token, as with a trained
   * tokenizer. Default: the base vocabulary's size.
   */
  size?: number;
  /** More control tokens (a chat template's `<|eot_id|>`…), placed after `<|im_end|>`. Default none. */
  controlTokens?: readonly string[];
  /** Added plain-text tokens kept whole (Qwen's `<tool_call>`…), after the control tokens. Default none. */
  userDefinedTokens?: readonly string[];
}

/** Builds a vocabulary; the same options always give the same tokens in the same order. */
export function buildVocabulary(options: VocabularyOptions = {}): Vocabulary {
  const tokens: string[] = [];
  const types: number[] = [];
  const seen = new Set<string>();
  const add = (text: string, type: number): boolean => {
    if (seen.has(text)) return false;
    seen.add(text);
    tokens.push(text);
    types.push(type);
    return true;
  };

  add("<unk>", TokenType.UNKNOWN);
  add("<s>", TokenType.CONTROL);
  add("</s>", TokenType.CONTROL);
  for (let byte = 0; byte < 256; byte++) {
    add(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`, TokenType.BYTE);
  }
  const imStartId = tokens.length;
  add("<|im_start|>", TokenType.CONTROL);
  const imEndId = tokens.length;
  add("<|im_end|>", TokenType.CONTROL);
  for (const token of options.controlTokens ?? []) add(token, TokenType.CONTROL);
  for (const token of options.userDefinedTokens ?? []) add(token, TokenType.USER_DEFINED);

  const charStart = tokens.length;
  add(SPACE_MARK, TokenType.NORMAL);
  for (let code = 0x21; code <= 0x7e; code++) add(String.fromCharCode(code), TokenType.NORMAL);
  const charEnd = tokens.length;

  const wordStart = tokens.length;
  for (const word of options.words ?? []) {
    if (!/^[a-z]+$/.test(word)) throw new RangeError(`vocabulary words must be lowercase ASCII letters: ${word}`);
    add(SPACE_MARK + word, TokenType.NORMAL);
  }
  const wordEnd = tokens.length;

  const size = options.size ?? tokens.length;
  if (size < tokens.length) throw new RangeError(`a vocabulary of ${size} tokens cannot hold the ${tokens.length} base tokens`);
  for (const piece of letterPieces()) {
    if (tokens.length >= size) break;
    add(piece, TokenType.NORMAL);
  }
  if (tokens.length < size) throw new RangeError(`cannot make a vocabulary of ${size} tokens`);

  // SentencePiece merges the adjacent pair whose merged piece has the highest score; scores that fall with
  // the id make earlier (word) tokens win, like frequency-ordered trained vocabularies.
  const scores = types.map((type, id) => (type === TokenType.NORMAL ? -(id - charStart) : 0));
  return {
    tokens,
    scores,
    types,
    unkId: 0,
    bosId: 1,
    endOfTextId: 2,
    imStartId,
    imEndId,
    charIds: { start: charStart, end: charEnd },
    wordIds: { start: wordStart, end: wordEnd },
  };
}

// `▁a`…`▁z`, then for each length 2, 3, 4, 5 every lowercase piece, plain then with a leading `▁`.
function* letterPieces(): Generator<string> {
  for (let letter = 0; letter < 26; letter++) yield SPACE_MARK + String.fromCharCode(0x61 + letter);
  for (let length = 2; length <= 5; length++) {
    yield* lowercasePieces(length, "");
    yield* lowercasePieces(length, SPACE_MARK);
  }
}

// Every lowercase string of `length` letters in alphabetical order, computed from its index (base 26).
function* lowercasePieces(length: number, prefix: string): Generator<string> {
  const codes = new Array<number>(length);
  for (let index = 0; index < 26 ** length; index++) {
    let rest = index;
    for (let position = length - 1; position >= 0; position--) {
      codes[position] = 0x61 + (rest % 26);
      rest = Math.floor(rest / 26);
    }
    yield prefix + String.fromCharCode(...codes);
  }
}
