// The palette: every field type, dragged onto the canvas (pointer or keyboard: Space lifts,
// arrows move, Space drops) or added with Enter after the field selected.
import { useDraggable } from '@dnd-kit/core';
import { Button } from 'antd';
import type { FieldType } from '../../api/client';
import { useD } from '../i18n';
import { TYPES } from './model';

function Item({ type, onAdd }: { type: FieldType; onAdd: (type: FieldType) => void }) {
  const d = useD();
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({ id: `new:${type}`, data: { type } });
  return (
    <li>
      <Button ref={setNodeRef} block autoInsertSpace={false} className={`palette-item${isDragging ? ' dragging' : ''}`} {...attributes} {...listeners}
        aria-roledescription={d('palette.draggable')} onClick={() => onAdd(type)}>
        {/* Named "add a … field" in words that include what is shown. */}
        <span className="visually-hidden">{d('palette.addBefore')}</span>{d(`type.${type}`)}<span className="visually-hidden">{d('palette.addAfter')}</span>
      </Button>
    </li>
  );
}

export function Palette({ onAdd }: { onAdd: (type: FieldType) => void }) {
  const d = useD();
  return (
    <section className="designer-palette" aria-labelledby="palette-title">
      <h2 id="palette-title">{d('palette.title')}</h2>
      <ul>{TYPES.map((t) => <Item key={t} type={t} onAdd={onAdd} />)}</ul>
    </section>
  );
}
