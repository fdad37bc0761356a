import type { ButtonHTMLAttributes } from "react";

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: "primary" | "danger" | "plain";
}

export function Button({ variant, className, type = "button", ...rest }: ButtonProps) {
  const classes = ["button", variant ? `button-${variant}` : "", className ?? ""].join(" ").replace(/\s+/g, " ").trim();
  return <button {...rest} type={type} className={classes} />;
}
