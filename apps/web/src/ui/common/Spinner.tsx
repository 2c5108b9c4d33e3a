/** A loading indicator that screen readers announce by its label. */
export function Spinner({ label, small }: { readonly label: string; readonly small?: boolean }) {
  return <span className={small ? 'spinner spinner-small' : 'spinner'} role="status" aria-label={label} />;
}
