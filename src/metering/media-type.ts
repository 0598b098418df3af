/** A Content-Type's media type: its parameters and case aside ("" when there is none). */
export const mediaType = (contentType: string | null): string => (contentType?.split(";", 1)[0] ?? "").trim().toLowerCase();
