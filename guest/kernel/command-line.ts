/**
 * The init shell's command-line grammar: commands separated by `;`, words split on blanks,
 * single quotes literal, double quotes with `$?` expanded, a backslash escaping the next character.
 * `$?` is expanded per command, when it runs, as sh does.
 */
export class ParseError extends Error {
  override readonly name = 'ParseError';
}

/** Split a line into its `;`-separated commands, leaving quoted `;` alone. */
export function splitCommands(line: string): string[] {
  const commands: string[] = [];
  let start = 0;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === '\\') i++;
    else if (c === '"' || c === "'") quote = c;
    else if (c === ';') {
      commands.push(line.slice(start, i));
      start = i + 1;
    }
  }
  if (quote) throw new ParseError(`unterminated ${quote === '"' ? 'double' : 'single'} quote`);
  commands.push(line.slice(start));
  return commands.filter((command) => command.trim() !== '');
}

/** Split one command into words; `$?` becomes `lastStatus`. */
export function parseWords(command: string, lastStatus: number): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (c === '\\' && i + 1 < command.length) {
      word += command[++i];
      inWord = true;
    } else if (c === '$' && command[i + 1] === '?') {
      word += String(lastStatus);
      inWord = true;
      i++;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new ParseError(`unterminated ${quote === '"' ? 'double' : 'single'} quote`);
  if (inWord) words.push(word);
  return words;
}
