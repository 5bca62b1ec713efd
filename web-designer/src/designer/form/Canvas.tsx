// The canvas: the form's fields in its sections, in order. A field is selected by click or
// Enter; moved by dragging its handle, or by keyboard (focus the handle, Space to lift,
// arrows to move, Space to drop, Escape to cancel; each step announced); dropped among
// another section's fields it joins that section.
import { useDroppable } from '@dnd-kit/core';
import { SortableContext, useSortable, verticalListSortingStrategy } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { DeleteOutlined, HolderOutlined } from '@ant-design/icons';
import { Button, Tag } from 'antd';
import { memo, useContext } from 'react';
import { LanguageContext, label } from '../../i18n';
import { useD } from '../i18n';
import { groups, type FieldDoc, type FormDoc } from './model';

export const CANVAS_END = 'canvas-end';

/// One field's card; drawn again only when its field, selection or problems change.
const Card = memo(function Card({ field, selected, problems, onSelect, onDelete }: {
  field: FieldDoc; selected: boolean; problems: number; onSelect: (key: string) => void; onDelete: (key: string) => void;
}) {
  const d = useD();
  const language = useContext(LanguageContext);
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } = useSortable({ id: field.key });
  const name = label(field.label, language) || field.key;
  const style = { transform: CSS.Transform.toString(transform), transition };
  return (
    <li ref={setNodeRef} style={style} className={`canvas-field${selected ? ' selected' : ''}${isDragging ? ' dragging' : ''}`}>
      <Button ref={setActivatorNodeRef} type="text" icon={<HolderOutlined />} {...attributes} {...listeners}
        aria-roledescription={d('canvas.sortable')} aria-label={d('canvas.move', { field: name })} />
      <button type="button" className="canvas-select" aria-pressed={selected} onClick={() => onSelect(field.key)}>
        <span className="canvas-name">{name}{field.required ? ' *' : ''}</span>
        <Tag>{d(`type.${field.type}`)}</Tag>
        <code className="canvas-key">{field.key}</code>
        {problems > 0 && <Tag color="error">{d('canvas.problems', { count: problems })}</Tag>}
      </button>
      <Button type="text" danger icon={<DeleteOutlined />} aria-label={d('canvas.delete', { field: name })} onClick={() => onDelete(field.key)} />
    </li>
  );
});

export function Canvas({ doc, selected, problemsOf, onSelect, onDelete }: {
  doc: FormDoc;
  selected: string | null;
  problemsOf: (key: string) => number;
  onSelect: (key: string) => void;
  onDelete: (key: string) => void;
}) {
  const d = useD();
  const language = useContext(LanguageContext);
  const parts = groups(doc);
  const order = parts.flatMap((g) => g.fields.map((f) => f.key));
  const { setNodeRef, isOver } = useDroppable({ id: CANVAS_END });
  return (
    <section className="designer-canvas" aria-labelledby="canvas-title">
      <h2 id="canvas-title">{d('canvas.title', { form: label(doc.label, language) || doc.key })}</h2>
      <SortableContext items={order} strategy={verticalListSortingStrategy}>
        {parts.map((g) => (g.section || g.fields.length > 0 || parts.length === 1) && (
          <div key={g.section?.key ?? '-'} className="canvas-group" role="group"
            aria-label={g.section ? label(g.section.label, language) : d('canvas.unsectioned')}>
            <h3>{g.section ? label(g.section.label, language) : d('canvas.unsectioned')}</h3>
            <ul>
              {g.fields.map((f) => (
                <Card key={f.key} field={f} selected={selected === f.key} problems={problemsOf(f.key)} onSelect={onSelect} onDelete={onDelete} />
              ))}
            </ul>
          </div>
        ))}
      </SortableContext>
      <div ref={setNodeRef} className={`canvas-end${isOver ? ' over' : ''}`}>
        {doc.fields.length === 0 ? d('canvas.empty') : d('canvas.dropHere')}
      </div>
    </section>
  );
}
