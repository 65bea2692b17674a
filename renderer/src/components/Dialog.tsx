import { useId, type ReactNode } from 'react';
import { Modal } from './Modal.tsx';

/**
 * A yes/no confirmation on the app's one Modal: the focus starts on the cancel button (a
 * stray Enter does not confirm), Escape cancels, the text describes the dialog.
 */
export function ConfirmDialog(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  cancelLabel: string;
  onConfirm(): void;
  onCancel(): void;
  danger?: boolean;
}) {
  const { title, children, confirmLabel, cancelLabel, onConfirm, onCancel, danger } = props;
  const textId = useId();
  return (
    <Modal title={title} onClose={onCancel} describedBy={textId}>
      <div id={textId}>{children}</div>
      <div className="actions">
        <button type="button" data-autofocus onClick={onCancel}>
          {cancelLabel}
        </button>
        <button type="button" className={danger ? 'danger' : 'primary'} onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
