/**
 * Wraps every Markdown table in a container that scrolls sideways on a narrow
 * screen, and makes that container focusable so that keyboard users can scroll
 * it too (a table has nothing focusable of its own).
 */

interface HastNode {
  type: string;
  tagName?: string;
  properties?: Record<string, unknown>;
  children?: HastNode[];
}

export function rehypeScrollableTables() {
  return (tree: HastNode): void => wrapTables(tree);
}

function wrapTables(node: HastNode): void {
  node.children = node.children?.map((child) => {
    if (child.type === 'element' && child.tagName === 'table') {
      return {
        type: 'element',
        tagName: 'div',
        properties: { className: ['table-scroll'], tabIndex: 0 },
        children: [child],
      };
    }
    wrapTables(child);
    return child;
  });
}
