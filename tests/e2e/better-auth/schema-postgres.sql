-- better-auth 1.7.25 schema for PostgreSQL, created by better-auth's own getMigrations().runMigrations()
-- plugins: twoFactor(), username(), phoneNumber(), admin(); emailAndPassword enabled
-- regenerate: node dump-schema.mjs

-- ===== pg_dump --schema-only --no-owner --no-privileges =====
--
-- PostgreSQL database dump
--



SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: account; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.account (
    id text NOT NULL,
    "accountId" text NOT NULL,
    "providerId" text NOT NULL,
    "userId" text NOT NULL,
    "accessToken" text,
    "refreshToken" text,
    "idToken" text,
    "accessTokenExpiresAt" timestamp with time zone,
    "refreshTokenExpiresAt" timestamp with time zone,
    scope text,
    password text,
    "createdAt" timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    "updatedAt" timestamp with time zone NOT NULL
);


--
-- Name: session; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.session (
    id text NOT NULL,
    "expiresAt" timestamp with time zone NOT NULL,
    token text NOT NULL,
    "createdAt" timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    "updatedAt" timestamp with time zone NOT NULL,
    "ipAddress" text,
    "userAgent" text,
    "userId" text NOT NULL,
    "impersonatedBy" text
);


--
-- Name: twoFactor; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public."twoFactor" (
    id text NOT NULL,
    secret text NOT NULL,
    "backupCodes" text NOT NULL,
    "userId" text NOT NULL,
    verified boolean,
    "failedVerificationCount" integer,
    "lockedUntil" timestamp with time zone
);


--
-- Name: user; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public."user" (
    id text NOT NULL,
    name text NOT NULL,
    email text NOT NULL,
    "emailVerified" boolean NOT NULL,
    image text,
    "createdAt" timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    "updatedAt" timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    "twoFactorEnabled" boolean,
    username text,
    "displayUsername" text,
    "phoneNumber" text,
    "phoneNumberVerified" boolean,
    role text,
    banned boolean,
    "banReason" text,
    "banExpires" timestamp with time zone
);


--
-- Name: verification; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.verification (
    id text NOT NULL,
    identifier text NOT NULL,
    value text NOT NULL,
    "expiresAt" timestamp with time zone NOT NULL,
    "createdAt" timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    "updatedAt" timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: account account_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.account
    ADD CONSTRAINT account_pkey PRIMARY KEY (id);


--
-- Name: session session_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session
    ADD CONSTRAINT session_pkey PRIMARY KEY (id);


--
-- Name: session session_token_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session
    ADD CONSTRAINT session_token_key UNIQUE (token);


--
-- Name: twoFactor twoFactor_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public."twoFactor"
    ADD CONSTRAINT "twoFactor_pkey" PRIMARY KEY (id);


--
-- Name: user user_email_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public."user"
    ADD CONSTRAINT user_email_key UNIQUE (email);


--
-- Name: user user_phoneNumber_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public."user"
    ADD CONSTRAINT "user_phoneNumber_key" UNIQUE ("phoneNumber");


--
-- Name: user user_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public."user"
    ADD CONSTRAINT user_pkey PRIMARY KEY (id);


--
-- Name: user user_username_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public."user"
    ADD CONSTRAINT user_username_key UNIQUE (username);


--
-- Name: verification verification_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.verification
    ADD CONSTRAINT verification_pkey PRIMARY KEY (id);


--
-- Name: account_userId_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX "account_userId_idx" ON public.account USING btree ("userId");


--
-- Name: session_userId_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX "session_userId_idx" ON public.session USING btree ("userId");


--
-- Name: twoFactor_secret_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX "twoFactor_secret_idx" ON public."twoFactor" USING btree (secret);


--
-- Name: twoFactor_userId_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX "twoFactor_userId_idx" ON public."twoFactor" USING btree ("userId");


--
-- Name: verification_identifier_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX verification_identifier_idx ON public.verification USING btree (identifier);


--
-- Name: account account_userId_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.account
    ADD CONSTRAINT "account_userId_fkey" FOREIGN KEY ("userId") REFERENCES public."user"(id) ON DELETE CASCADE;


--
-- Name: session session_userId_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session
    ADD CONSTRAINT "session_userId_fkey" FOREIGN KEY ("userId") REFERENCES public."user"(id) ON DELETE CASCADE;


--
-- Name: twoFactor twoFactor_userId_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public."twoFactor"
    ADD CONSTRAINT "twoFactor_userId_fkey" FOREIGN KEY ("userId") REFERENCES public."user"(id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--



-- ===== information_schema.columns (table | column | type | nullable | default) =====
-- account | id | text | NO | 
-- account | accountId | text | NO | 
-- account | providerId | text | NO | 
-- account | userId | text | NO | 
-- account | accessToken | text | YES | 
-- account | refreshToken | text | YES | 
-- account | idToken | text | YES | 
-- account | accessTokenExpiresAt | timestamp with time zone | YES | 
-- account | refreshTokenExpiresAt | timestamp with time zone | YES | 
-- account | scope | text | YES | 
-- account | password | text | YES | 
-- account | createdAt | timestamp with time zone | NO | CURRENT_TIMESTAMP
-- account | updatedAt | timestamp with time zone | NO | 
-- session | id | text | NO | 
-- session | expiresAt | timestamp with time zone | NO | 
-- session | token | text | NO | 
-- session | createdAt | timestamp with time zone | NO | CURRENT_TIMESTAMP
-- session | updatedAt | timestamp with time zone | NO | 
-- session | ipAddress | text | YES | 
-- session | userAgent | text | YES | 
-- session | userId | text | NO | 
-- session | impersonatedBy | text | YES | 
-- twoFactor | id | text | NO | 
-- twoFactor | secret | text | NO | 
-- twoFactor | backupCodes | text | NO | 
-- twoFactor | userId | text | NO | 
-- twoFactor | verified | boolean | YES | 
-- twoFactor | failedVerificationCount | integer | YES | 
-- twoFactor | lockedUntil | timestamp with time zone | YES | 
-- user | id | text | NO | 
-- user | name | text | NO | 
-- user | email | text | NO | 
-- user | emailVerified | boolean | NO | 
-- user | image | text | YES | 
-- user | createdAt | timestamp with time zone | NO | CURRENT_TIMESTAMP
-- user | updatedAt | timestamp with time zone | NO | CURRENT_TIMESTAMP
-- user | twoFactorEnabled | boolean | YES | 
-- user | username | text | YES | 
-- user | displayUsername | text | YES | 
-- user | phoneNumber | text | YES | 
-- user | phoneNumberVerified | boolean | YES | 
-- user | role | text | YES | 
-- user | banned | boolean | YES | 
-- user | banReason | text | YES | 
-- user | banExpires | timestamp with time zone | YES | 
-- verification | id | text | NO | 
-- verification | identifier | text | NO | 
-- verification | value | text | NO | 
-- verification | expiresAt | timestamp with time zone | NO | 
-- verification | createdAt | timestamp with time zone | NO | CURRENT_TIMESTAMP
-- verification | updatedAt | timestamp with time zone | NO | CURRENT_TIMESTAMP

-- ===== pg_indexes =====
-- CREATE UNIQUE INDEX account_pkey ON public.account USING btree (id);
-- CREATE INDEX "account_userId_idx" ON public.account USING btree ("userId");
-- CREATE UNIQUE INDEX session_pkey ON public.session USING btree (id);
-- CREATE UNIQUE INDEX session_token_key ON public.session USING btree (token);
-- CREATE INDEX "session_userId_idx" ON public.session USING btree ("userId");
-- CREATE UNIQUE INDEX "twoFactor_pkey" ON public."twoFactor" USING btree (id);
-- CREATE INDEX "twoFactor_secret_idx" ON public."twoFactor" USING btree (secret);
-- CREATE INDEX "twoFactor_userId_idx" ON public."twoFactor" USING btree ("userId");
-- CREATE UNIQUE INDEX user_email_key ON public."user" USING btree (email);
-- CREATE UNIQUE INDEX "user_phoneNumber_key" ON public."user" USING btree ("phoneNumber");
-- CREATE UNIQUE INDEX user_pkey ON public."user" USING btree (id);
-- CREATE UNIQUE INDEX user_username_key ON public."user" USING btree (username);
-- CREATE INDEX verification_identifier_idx ON public.verification USING btree (identifier);
-- CREATE UNIQUE INDEX verification_pkey ON public.verification USING btree (id);

-- ===== pg_constraint =====
-- "twoFactor" twoFactor_pkey: PRIMARY KEY (id)
-- "twoFactor" twoFactor_userId_fkey: FOREIGN KEY ("userId") REFERENCES "user"(id) ON DELETE CASCADE
-- "user" user_email_key: UNIQUE (email)
-- "user" user_phoneNumber_key: UNIQUE ("phoneNumber")
-- "user" user_pkey: PRIMARY KEY (id)
-- "user" user_username_key: UNIQUE (username)
-- account account_pkey: PRIMARY KEY (id)
-- account account_userId_fkey: FOREIGN KEY ("userId") REFERENCES "user"(id) ON DELETE CASCADE
-- session session_pkey: PRIMARY KEY (id)
-- session session_token_key: UNIQUE (token)
-- session session_userId_fkey: FOREIGN KEY ("userId") REFERENCES "user"(id) ON DELETE CASCADE
-- verification verification_pkey: PRIMARY KEY (id)
