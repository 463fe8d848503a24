// Hover documentation (inspect_request): quick info at the cursor as plain text and Markdown.
import ts from "typescript";
import { clamp, isIdentifierChar } from "./completion.js";
import { QUERY_PREFIX, type VirtualProject } from "./project.js";

/**
 * Quick info at the cursor, at the identifier before it, or at the function of the call it is in.
 * `isNotebookFile` says which definitions a cell wrote (their source is shown at detail level 1).
 */
export function inspect(
  project: VirtualProject,
  isNotebookFile: (path: string) => boolean,
  code: string,
  cursor: number,
  detailLevel = 0,
): Record<string, string> | null {
  cursor = clamp(cursor, code.length);
  const file = project.setQuery(code);
  const at = (pos: number) => (pos >= 0 ? project.service.getQuickInfoAtPosition(file, pos + QUERY_PREFIX.length) : undefined);
  let info = at(cursor) ?? (cursor > 0 && isIdentifierChar(code[cursor - 1]!) ? at(cursor - 1) : undefined);
  let position = cursor;
  if (!info) {
    const help = project.service.getSignatureHelpItems(file, cursor + QUERY_PREFIX.length, undefined);
    if (help) {
      let callee = help.applicableSpan.start - QUERY_PREFIX.length - 1; // the "(" (or "<", or "`")
      while (callee > 0 && /\s/.test(code[callee - 1]!)) callee--;
      position = callee - 1;
      info = at(position);
    }
  }
  if (!info?.displayParts?.length) return null;
  const signature = ts.displayPartsToString(info.displayParts);
  const doc = ts.displayPartsToString(info.documentation ?? []).trim();
  const tags = info.tags ?? [];
  const tagText = (tag: ts.JSDocTagInfo) => ts.displayPartsToString(tag.text ?? []).trim();
  const plain = [signature];
  const markdown = ["```typescript", signature, "```"];
  if (doc) {
    plain.push("", doc);
    markdown.push("", doc);
  }
  if (tags.length) {
    plain.push("");
    markdown.push("");
    for (const tag of tags) {
      const text = tagText(tag);
      plain.push(`@${tag.name}${text ? ` ${text}` : ""}`);
      if (tag.name === "param" || tag.name === "typeParam") {
        const [name, ...rest] = text.split(/\s+/);
        markdown.push(`*@${tag.name}* \`${name ?? ""}\`${rest.length ? ` — ${rest.join(" ")}` : ""}  `);
      } else {
        markdown.push(`*@${tag.name}*${text ? (text.includes("\n") ? `\n${text}` : ` — ${text}`) : ""}  `);
      }
    }
  }
  if (detailLevel > 0) {
    const source = definitionSource(project, isNotebookFile, file, position + QUERY_PREFIX.length);
    if (source) {
      plain.push("", source);
      markdown.push("", "```typescript", source, "```");
    }
  }
  return { "text/plain": plain.join("\n"), "text/markdown": markdown.join("\n") };
}

/** The source of a definition that a notebook cell wrote (detail level 1, like IPython's `??`). */
function definitionSource(
  project: VirtualProject,
  isNotebookFile: (path: string) => boolean,
  file: string,
  position: number,
): string | undefined {
  const definition = project.service.getDefinitionAtPosition(file, position)?.[0];
  if (!definition || !(isNotebookFile(definition.fileName) || definition.fileName === project.queryPath)) return undefined;
  const text = project.text(definition.fileName)!;
  const span = definition.contextSpan ?? definition.textSpan;
  return text.slice(span.start, span.start + span.length);
}
