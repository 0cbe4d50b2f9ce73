/**
 * The document model the three parsers share: sections under a heading path, each a list
 * of prose or code blocks, which the packer then turns into chunks.
 */

export interface Block {
  readonly text: string;
  /** Code is split at lines and never used as sentence overlap. */
  readonly kind: 'prose' | 'code';
}

export interface Section {
  /** Heading path below the document title, outermost first. */
  readonly headings: readonly string[];
  readonly blocks: Block[];
}

export interface ParsedDocument {
  readonly title: string | undefined;
  readonly sections: readonly Section[];
}

/** Collects blocks under the heading path in force, as a parser walks a document. */
export class Outline {
  readonly sections: Section[] = [{ headings: [], blocks: [] }];
  private readonly open: { level: number; text: string }[] = [];

  heading(level: number, text: string): void {
    while (this.open.length > 0 && (this.open.at(-1)?.level ?? 0) >= level) this.open.pop();
    this.open.push({ level, text });
    this.sections.push({ headings: this.open.map((heading) => heading.text), blocks: [] });
  }

  block(text: string, kind: Block['kind'] = 'prose'): void {
    if (text.trim() === '') return;
    this.sections.at(-1)?.blocks.push({ text, kind });
  }
}
